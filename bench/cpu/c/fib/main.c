/* fib: naive doubly recursive Fibonacci, fib(40) + fib(39): mostly call and
   return cost. */
#include <stdio.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
    volatile int n = 40;
    long long s = 0;
    for (int r = 0; r < 2; r++) s += fib(n - r);
    printf("%lld\n", s);
    return 0;
}
