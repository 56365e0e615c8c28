/* fannkuch: for every permutation of 1..N (N=10), count the prefix
   reversals needed until 1 is in front; print the alternating checksum of
   the counts and the maximum. Permutations come from a counter array
   (rotate the first i+1 elements, Heap-style counting). */
#include <stdio.h>

int main(void) {
    volatile int vn = 10;
    int n = vn;
    int perm[16], p1[16], count[16];
    for (int i = 0; i < n; i++) { p1[i] = i; count[i] = 0; }
    int maxflips = 0, checksum = 0, sign = 1;
    for (;;) {
        if (p1[0] != 0) {
            for (int i = 0; i < n; i++) perm[i] = p1[i];
            int flips = 0;
            for (int k = perm[0]; k != 0; k = perm[0]) {
                for (int lo = 0, hi = k; lo < hi; lo++, hi--) { int t = perm[lo]; perm[lo] = perm[hi]; perm[hi] = t; }
                flips++;
            }
            if (flips > maxflips) maxflips = flips;
            checksum += sign * flips;
        }
        sign = -sign;
        int i = 1;
        for (;;) {
            if (i >= n) { printf("%d\nPfannkuchen(%d) = %d\n", checksum, n, maxflips); return 0; }
            int first = p1[0];
            for (int j = 0; j < i; j++) p1[j] = p1[j + 1];
            p1[i] = first;
            if (++count[i] <= i) break;
            count[i] = 0;
            i++;
        }
    }
}
