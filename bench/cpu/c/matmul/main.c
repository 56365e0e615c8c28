/* matmul: C = A x B for 200x200 float64 matrices, 300 times (A changes a
   little each time), i-k-j loop order. Prints the sum of all results. */
#include <stdio.h>

#define N 200
static double a[N][N], b[N][N], c[N][N];

int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)((i * 7 + j * 3) % 17) / 16.0 - 0.5;
            b[i][j] = (double)((i * 5 + j * 11) % 13) / 12.0 - 0.5;
        }
    double sum = 0;
    volatile int reps = 300;
    for (int r = 0; r < reps; r++) {
        a[r % N][(r * 3) % N] += 0.25;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) c[i][j] = 0;
            for (int k = 0; k < N; k++) {
                double aik = a[i][k];
                for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
            }
        }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) sum += c[i][j];
    }
    printf("%.6f\n", sum);
    return 0;
}
