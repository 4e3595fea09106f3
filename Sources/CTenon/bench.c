#include "CTenon.h"

int32_t ctenon_bench_handler(uint32_t irq, void *dev_id)
{
    (void)dev_id;
    return (int32_t)(irq & 1);
}
