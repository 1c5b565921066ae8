/* Compiler attributes and small helpers used everywhere. */
#ifndef DUET_COMPILER_H
#define DUET_COMPILER_H

#define __noreturn      __attribute__((noreturn))
#define __packed        __attribute__((packed))
#define __aligned(n)    __attribute__((aligned(n)))
#define __section(s)    __attribute__((section(s)))
#define __used          __attribute__((used))
#define __unused        __attribute__((unused))
#define __printf(f, a)  __attribute__((format(printf, f, a)))
#define __noinline      __attribute__((noinline))
#define __returns_twice __attribute__((returns_twice))

#ifndef __always_inline /* the host's <sys/cdefs.h> has the same */
#define __always_inline inline __attribute__((always_inline))
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Keep the compiler from caching or reordering one access. */
#define READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier()        __asm__ volatile("" ::: "memory")

/* Hints that the line holding p will be read, or written, soon: they never
 * fault, whatever p is, and the CPU may drop them (Intel SDM Vol. 2B,
 * PREFETCHh; Arm ARM C6.2, PRFM). */
#define prefetch(p)           __builtin_prefetch((p), 0)
#define prefetch_for_write(p) __builtin_prefetch((p), 1)

#endif
