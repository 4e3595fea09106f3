/*
 * tenon_test_device.h — a fake device that lets tests prove "no IRQ lost, none
 * handled twice" although the pipeline coalesces an IRQ that is pending twice
 * into one handler run.
 *
 * Model: one FIFO ring of sequence numbers per CPU.
 *   producer (the test, any thread):  tenon_test_device_push(dev, k, seq);
 *                                     then raise the IRQ on CPU k.
 *   consumer (the handler on CPU k):  tenon_test_device_drain(dev, k, stamp);
 *     drains the whole ring of CPU k; for every seq it stores `stamp` (e.g. the
 *     plugin's major version) into handled_by[seq] and then increments seen[seq].
 * After the test: every pushed seq must have seen == 1; handled_by tells which
 * plugin build handled it.
 *
 * Concurrency contract (single producer / single consumer per ring):
 *   - pushes to ring k must be serialized by the caller (one producer thread per
 *     CPU ring, or a lock held by the test — never by a handler);
 *   - ring k is drained only by handlers running on CPU k (which the pipeline
 *     never runs concurrently with itself on that CPU).
 * Pushes and drains of one ring may run concurrently with each other.
 *
 * Everything below is header-only, lock-free and allocation-free, so the
 * consumer side is async-signal-safe. The device lives in one caller-allocated
 * block: allocate tenon_test_device_size(...) bytes (8-byte aligned at least,
 * 64 recommended), then tenon_test_device_init(). Fields are plain integers
 * accessed through __atomic builtins so that Swift can import this header.
 * Plugins receive the block's address as a TENON_PARAM_UINT parameter `device`.
 */
#ifndef TENON_TEST_DEVICE_H
#define TENON_TEST_DEVICE_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TENON_TEST_DEVICE_MAGIC 0x54444556u /* "TDEV" */

/* One per CPU; `ring_size` uint64_t slots follow it. head and tail sit on
 * separate cache lines (consumer and producer write one each). */
struct tenon_test_ring {
    uint64_t head;          /* next slot to consume; written by the consumer */
    uint64_t pad0[7];
    uint64_t tail;          /* next slot to fill; written by the producer */
    uint64_t pad1[7];
};

struct tenon_test_device {
    uint32_t magic;         /* TENON_TEST_DEVICE_MAGIC once initialised */
    uint32_t nr_cpus;
    uint32_t capacity;      /* valid seqs: 0 .. capacity-1 */
    uint32_t ring_size;     /* slots per CPU ring, a power of two */
    uint64_t ring_stride;   /* bytes from one CPU ring to the next */
    uint64_t rings_offset;  /* byte offsets from the start of the block */
    uint64_t seen_offset;   /* uint32_t seen[capacity] */
    uint64_t handled_by_offset; /* uint32_t handled_by[capacity] */
    uint64_t bad_seq;       /* drained seqs >= capacity (atomic) */
    uint64_t self;          /* the block's own address, set by init (validates `device=`) */
};

static inline uint64_t tenon_test_device__align64(uint64_t n)
{
    return (n + 63u) & ~(uint64_t)63u;
}

/* Bytes needed for a device, or 0 if the arguments are invalid
 * (nr_cpus == 0, capacity == 0, ring_size not a power of two). */
static inline size_t tenon_test_device_size(uint32_t nr_cpus, uint32_t capacity, uint32_t ring_size)
{
    if (nr_cpus == 0 || capacity == 0 || ring_size == 0 || (ring_size & (ring_size - 1)) != 0)
        return 0;
    uint64_t stride = tenon_test_device__align64(sizeof(struct tenon_test_ring) + (uint64_t)ring_size * 8u);
    uint64_t n = tenon_test_device__align64(sizeof(struct tenon_test_device));
    n += stride * nr_cpus;
    n += tenon_test_device__align64((uint64_t)capacity * 4u); /* seen */
    n += tenon_test_device__align64((uint64_t)capacity * 4u); /* handled_by */
    return (size_t)n;
}

/* Lays out and zeroes the block (all seen/handled_by 0, rings empty).
 * Returns the device, or NULL if the arguments are invalid. Not concurrent
 * with anything else on this device. */
static inline struct tenon_test_device *
tenon_test_device_init(void *mem, uint32_t nr_cpus, uint32_t capacity, uint32_t ring_size)
{
    size_t size = tenon_test_device_size(nr_cpus, capacity, ring_size);
    if (mem == NULL || size == 0)
        return NULL;
    memset(mem, 0, size);
    struct tenon_test_device *dev = (struct tenon_test_device *)mem;
    dev->nr_cpus = nr_cpus;
    dev->capacity = capacity;
    dev->ring_size = ring_size;
    dev->ring_stride = tenon_test_device__align64(sizeof(struct tenon_test_ring) + (uint64_t)ring_size * 8u);
    dev->rings_offset = tenon_test_device__align64(sizeof(struct tenon_test_device));
    dev->seen_offset = dev->rings_offset + dev->ring_stride * nr_cpus;
    dev->handled_by_offset = dev->seen_offset + tenon_test_device__align64((uint64_t)capacity * 4u);
    dev->self = (uint64_t)(uintptr_t)dev;
    __atomic_store_n(&dev->magic, TENON_TEST_DEVICE_MAGIC, __ATOMIC_RELEASE);
    return dev;
}

static inline struct tenon_test_ring *
tenon_test_device__ring(struct tenon_test_device *dev, uint32_t cpu)
{
    return (struct tenon_test_ring *)((char *)dev + dev->rings_offset + dev->ring_stride * cpu);
}

static inline uint64_t *tenon_test_device__slots(struct tenon_test_ring *ring)
{
    return (uint64_t *)(ring + 1);
}

static inline uint32_t *tenon_test_device__seen(struct tenon_test_device *dev)
{
    return (uint32_t *)((char *)dev + dev->seen_offset);
}

static inline uint32_t *tenon_test_device__handled_by(struct tenon_test_device *dev)
{
    return (uint32_t *)((char *)dev + dev->handled_by_offset);
}

/* Producer [any, serialized per ring]: queue `seq` on CPU `cpu`'s ring.
 * 0 on success, -1 if the ring is full or cpu is out of range. */
static inline int tenon_test_device_push(struct tenon_test_device *dev, uint32_t cpu, uint64_t seq)
{
    if (cpu >= dev->nr_cpus)
        return -1;
    struct tenon_test_ring *ring = tenon_test_device__ring(dev, cpu);
    uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_RELAXED);  /* only we write it */
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);  /* slot reuse after consumer read */
    if (tail - head >= dev->ring_size)
        return -1;
    __atomic_store_n(&tenon_test_device__slots(ring)[tail & (dev->ring_size - 1)], seq, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->tail, tail + 1, __ATOMIC_RELEASE);       /* publish the slot */
    return 0;
}

/* Consumer [oob/inband handler on CPU `cpu`][async-signal-safe]: drain the
 * whole ring, including seqs pushed while draining. For each seq: handled_by
 * = stamp, then seen += 1 (release, so a reader that observes seen > 0 with
 * acquire also observes handled_by). Returns how many seqs were consumed. */
static inline uint32_t tenon_test_device_drain(struct tenon_test_device *dev, uint32_t cpu, uint32_t stamp)
{
    if (cpu >= dev->nr_cpus)
        return 0;
    struct tenon_test_ring *ring = tenon_test_device__ring(dev, cpu);
    uint32_t *seen = tenon_test_device__seen(dev);
    uint32_t *handled_by = tenon_test_device__handled_by(dev);
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);  /* only we write it */
    uint32_t n = 0;
    for (;;) {
        uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
        if (head == tail)
            break;
        for (; head != tail; head++, n++) {
            uint64_t seq = __atomic_load_n(&tenon_test_device__slots(ring)[head & (dev->ring_size - 1)],
                                           __ATOMIC_RELAXED);
            if (seq < dev->capacity) {
                __atomic_store_n(&handled_by[seq], stamp, __ATOMIC_RELAXED);
                __atomic_fetch_add(&seen[seq], 1u, __ATOMIC_RELEASE);
            } else {
                __atomic_fetch_add(&dev->bad_seq, 1u, __ATOMIC_RELAXED);
            }
        }
        __atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);        /* free the slots */
    }
    return n;
}

/* Readers [any]. seq >= capacity reads as 0. */
static inline uint32_t tenon_test_device_seen(struct tenon_test_device *dev, uint64_t seq)
{
    return seq < dev->capacity ? __atomic_load_n(&tenon_test_device__seen(dev)[seq], __ATOMIC_ACQUIRE) : 0;
}

static inline uint32_t tenon_test_device_handled_by(struct tenon_test_device *dev, uint64_t seq)
{
    return seq < dev->capacity ? __atomic_load_n(&tenon_test_device__handled_by(dev)[seq], __ATOMIC_ACQUIRE) : 0;
}

/* Seqs still queued on CPU `cpu` (pushed, not yet drained). */
static inline uint64_t tenon_test_device_pending(struct tenon_test_device *dev, uint32_t cpu)
{
    if (cpu >= dev->nr_cpus)
        return 0;
    struct tenon_test_ring *ring = tenon_test_device__ring(dev, cpu);
    return __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) - __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
}

/* Drained seqs that were >= capacity (a test bug, or memory corruption). */
static inline uint64_t tenon_test_device_bad_seqs(struct tenon_test_device *dev)
{
    return __atomic_load_n(&dev->bad_seq, __ATOMIC_RELAXED);
}

/* Copies `n` bytes at `address` through a pipe: 0, or -1 if any of them is
 * not readable (the kernel reports EFAULT instead of the caller faulting). */
static inline int tenon_test_device__probe(uint64_t address, void *out, size_t n)
{
    int fds[2];
    if (n > 4096 || pipe(fds) != 0)
        return -1;
    ssize_t w = write(fds[1], (const void *)(uintptr_t)address, n);
    ssize_t r = w == (ssize_t)n ? read(fds[0], out, n) : -1;
    close(fds[0]);
    close(fds[1]);
    return r == (ssize_t)n ? 0 : -1;
}

/* Plugins: turn the `device` parameter into a device pointer. NULL for 0 and
 * for anything but the address of a block tenon_test_device_init() set up:
 * the header is read through a probe first, so a stray number (a user typing
 * `device=12345`) fails init cleanly instead of crashing the host. [task] */
static inline struct tenon_test_device *tenon_test_device_from_param(uint64_t address)
{
    struct tenon_test_device head;
    if (address == 0 || (address & 7u) != 0 || tenon_test_device__probe(address, &head, sizeof head) != 0)
        return NULL;
    if (head.magic != TENON_TEST_DEVICE_MAGIC || head.self != address)
        return NULL;
    if (tenon_test_device_size(head.nr_cpus, head.capacity, head.ring_size) == 0)
        return NULL;
    /* Every page of the block must be readable too. */
    uint64_t end = head.handled_by_offset + tenon_test_device__align64((uint64_t)head.capacity * 4u);
    unsigned char byte;
    for (uint64_t off = 4096; off < end; off += 4096)
        if (tenon_test_device__probe(address + off, &byte, 1) != 0)
            return NULL;
    if (tenon_test_device__probe(address + end - 1, &byte, 1) != 0)
        return NULL;
    return (struct tenon_test_device *)(uintptr_t)address;
}

#ifdef __cplusplus
}
#endif

#endif /* TENON_TEST_DEVICE_H */
