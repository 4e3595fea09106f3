#define _GNU_SOURCE
#include <pthread.h>
#include "ctenon_system.h"

int ctenon_thread_set_name(const char *name) { return pthread_setname_np(pthread_self(), name); }

int ctenon_thread_get_name(char *buffer, size_t size) { return pthread_getname_np(pthread_self(), buffer, size); }
