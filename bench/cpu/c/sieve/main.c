/* sieve: the sieve of Eratosthenes up to 20,000,000, eight times over a
   byte array. Prints the prime count and the largest prime found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    volatile int vn = 20000000;
    int n = vn;
    unsigned char *composite = malloc((size_t)n + 1);
    if (!composite) return 1;
    long long total = 0;
    int last = 0;
    for (int rep = 0; rep < 8; rep++) {
        memset(composite, 0, (size_t)n + 1);
        int count = 0;
        for (long long i = 2; i <= n; i++) {
            if (composite[i]) continue;
            count++;
            last = (int)i;
            for (long long j = i * i; j <= n; j += i) composite[j] = 1;
        }
        total += count;
    }
    printf("%lld %d\n", total, last);
    free(composite);
    return 0;
}
