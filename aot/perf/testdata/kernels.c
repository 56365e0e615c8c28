// CPU-bound kernels for mwasm's code-generation benchmark (aot/perf).
// Built with: clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-all
// Every kernel is `long long run_NAME(int n)`: n scales the work, the result
// is a checksum that every engine must reproduce exactly.

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

// ---- recursive calls ----
static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
long long run_fib(int n) { return fib(n); }

// ---- sieve of Eratosthenes over 1 MiB, n rounds ----
#define SIEVE_N (1 << 20)
static u8 sieve[SIEVE_N];
long long run_sieve(int n) {
  long long total = 0;
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < SIEVE_N; i++) sieve[i] = 1;
    sieve[0] = sieve[1] = 0;
    for (int i = 2; i * i < SIEVE_N; i++)
      if (sieve[i])
        for (int j = i * i; j < SIEVE_N; j += i) sieve[j] = 0;
    int c = 0;
    for (int i = 0; i < SIEVE_N; i++) c += sieve[i];
    total += c + r;
  }
  return total;
}

// ---- float64 matrix multiply, 96x96, n rounds ----
#define MM 96
static double ma[MM * MM], mb[MM * MM], mc[MM * MM];
long long run_matmul(int n) {
  for (int i = 0; i < MM * MM; i++) {
    ma[i] = (double)(i % 17) * 0.5 - 3.0;
    mb[i] = (double)(i % 13) * 0.25 + 1.0;
  }
  double acc = 0;
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < MM; i++)
      for (int j = 0; j < MM; j++) {
        double s = 0;
        for (int k = 0; k < MM; k++) s += ma[i * MM + k] * mb[k * MM + j];
        mc[i * MM + j] = s;
      }
    acc += mc[(r * 7) % (MM * MM)];
    ma[r % (MM * MM)] += 1.0;
  }
  return (long long)(acc * 1000.0);
}

// ---- n-body (5 bodies), n steps ----
typedef struct { double x, y, z, vx, vy, vz, m; } body;
static body bodies[5];
static void nbody_init(void) {
  const double PI = 3.141592653589793, SM = 4 * PI * PI, DPY = 365.24;
  body b[5] = {
      {0, 0, 0, 0, 0, 0, SM},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
       1.66007664274403694e-03 * DPY, 7.69901118419740425e-03 * DPY, -6.90460016972063023e-05 * DPY,
       9.54791938424326609e-04 * SM},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
       -2.76742510726862411e-03 * DPY, 4.99852801234917238e-03 * DPY, 2.30417297573763929e-05 * DPY,
       2.85885980666130812e-04 * SM},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
       2.96460137564761618e-03 * DPY, 2.37847173959480950e-03 * DPY, -2.96589568540237556e-05 * DPY,
       4.36624404335156298e-05 * SM},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
       2.68067772490389322e-03 * DPY, 1.62824170038242295e-03 * DPY, -9.51592254519715870e-05 * DPY,
       5.15138902046611451e-05 * SM}};
  for (int i = 0; i < 5; i++) bodies[i] = b[i];
}
long long run_nbody(int n) {
  nbody_init();
  for (int s = 0; s < n; s++) {
    for (int i = 0; i < 5; i++) {
      body *a = &bodies[i];
      for (int j = i + 1; j < 5; j++) {
        body *b = &bodies[j];
        double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = 0.01 / (d2 * __builtin_sqrt(d2));
        a->vx -= dx * b->m * mag; a->vy -= dy * b->m * mag; a->vz -= dz * b->m * mag;
        b->vx += dx * a->m * mag; b->vy += dy * a->m * mag; b->vz += dz * a->m * mag;
      }
    }
    for (int i = 0; i < 5; i++) {
      bodies[i].x += 0.01 * bodies[i].vx;
      bodies[i].y += 0.01 * bodies[i].vy;
      bodies[i].z += 0.01 * bodies[i].vz;
    }
  }
  double e = 0;
  for (int i = 0; i < 5; i++) {
    body *a = &bodies[i];
    e += 0.5 * a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
    for (int j = i + 1; j < 5; j++) {
      body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      e -= a->m * b->m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return (long long)(e * 1e12);
}

// ---- SHA-256 compression over a 4 KiB buffer, n rounds ----
static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static u8 shabuf[4096];
static u32 H[8];
static void sha_block(const u8 *p) {
  u32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    u32 t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
}
long long run_sha256(int n) {
  for (int i = 0; i < 4096; i++) shabuf[i] = (u8)(i * 31 + 7);
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
  H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  for (int r = 0; r < n; r++) {
    for (int off = 0; off < 4096; off += 64) sha_block(shabuf + off);
    shabuf[r & 4095] ^= (u8)H[r & 7];
  }
  return (long long)H[0] << 32 | H[7];
}

// ---- fannkuch-redux(n) ----
long long run_fannkuch(int n) {
  int perm[16], perm1[16], count[16];
  int maxflips = 0, checksum = 0, permcount = 0, r = n;
  for (int i = 0; i < n; i++) perm1[i] = i;
  for (;;) {
    while (r != 1) { count[r - 1] = r; r--; }
    for (int i = 0; i < n; i++) perm[i] = perm1[i];
    int flips = 0, k;
    while ((k = perm[0]) != 0) {
      for (int i = 0, j = k; i < j; i++, j--) { int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
      flips++;
    }
    if (flips > maxflips) maxflips = flips;
    checksum += (permcount % 2 == 0) ? flips : -flips;
    for (;;) {
      if (r == n) return (long long)checksum * 1000 + maxflips;
      int p0 = perm1[0];
      for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
      perm1[r] = p0;
      count[r]--;
      if (count[r] > 0) break;
      r++;
    }
    permcount++;
  }
}

// ---- quicksort of 100k ints, n rounds ----
#define QN 100000
static int qa[QN];
static void qsort_i(int *a, int lo, int hi) {
  while (lo < hi) {
    int p = a[lo + (hi - lo) / 2], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { qsort_i(a, lo, j); lo = i; } else { qsort_i(a, i, hi); hi = j; }
  }
}
long long run_qsort(int n) {
  u32 seed = 12345;
  long long sum = 0;
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < QN; i++) { seed = seed * 1103515245u + 12345u; qa[i] = (int)(seed >> 1) % 1000003; }
    qsort_i(qa, 0, QN - 1);
    for (int i = 0; i < QN; i += 997) sum += qa[i] / 7 + qa[i] % 10;
  }
  return sum;
}

// ---- byte-wise loops: table crc32 + byte copy, n rounds over 64 KiB ----
#define CN 65536
static u8 cbuf[CN], cdst[CN];
static u32 crctab[256];
long long run_crc32(int n) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crctab[i] = c;
  }
  for (int i = 0; i < CN; i++) cbuf[i] = (u8)(i ^ (i >> 8));
  u32 crc = 0xffffffffu;
  for (int r = 0; r < n; r++) {
    volatile u8 *d = cdst;
    for (int i = 0; i < CN; i++) d[i] = cbuf[i];
    for (int i = 0; i < CN; i++) crc = crctab[(crc ^ cdst[i]) & 0xff] ^ (crc >> 8);
    cbuf[r & (CN - 1)]++;
  }
  return crc ^ 0xffffffffu;
}
