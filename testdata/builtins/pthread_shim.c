/* The pthread functions abseil links against, for one thread: wasi-libc's libc.a declares them
 * in <pthread.h> but defines none (testdata/build-builtins.sh).
 *
 * - thread_identity.cc keeps each thread's identity in a thread_local and registers a key only
 *   to free it when a thread exits; the one thread never does.
 * - sysinfo.cc asks pthread_self() for a thread id.
 * - pthread_waiter.cc is linked but unused: absl::Mutex waits through the StdcppWaiter
 *   (libcxx_shim.h). Locks succeed; a wait, which only another thread could end, aborts. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define MAX_KEYS 128
static const void *key_values[MAX_KEYS];
static unsigned next_key;

pthread_t pthread_self(void) { return (pthread_t)1; }

int pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  (void)destructor;
  if (next_key == MAX_KEYS) return EAGAIN;
  *key = next_key++;
  return 0;
}

void *pthread_getspecific(pthread_key_t key) {
  return key < MAX_KEYS ? (void *)key_values[key] : NULL;
}

int pthread_setspecific(pthread_key_t key, const void *value) {
  if (key >= next_key) return EINVAL;
  key_values[key] = value;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a) {
  (void)m;
  (void)a;
  return 0;
}
int pthread_mutex_lock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_unlock(pthread_mutex_t *m) { (void)m; return 0; }

int pthread_cond_init(pthread_cond_t *restrict c, const pthread_condattr_t *restrict a) {
  (void)c;
  (void)a;
  return 0;
}
int pthread_cond_signal(pthread_cond_t *c) { (void)c; return 0; }
int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m) {
  (void)c;
  (void)m;
  abort();
}
int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                           const struct timespec *restrict t) {
  (void)c;
  (void)m;
  (void)t;
  return ETIMEDOUT;
}
