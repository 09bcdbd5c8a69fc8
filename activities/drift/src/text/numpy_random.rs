//! numpy's legacy `RandomState` (MT19937), the parts Evidently's text test draws from:
//! `permutation`, `randint` and `rand`, bit for bit, so the split and the random-classifier
//! cut-off are the ones Evidently gets.

const N: usize = 624;
const M: usize = 397;

/// `numpy.random.RandomState(seed)` for an integer seed.
pub struct RandomState {
    mt: [u32; N],
    index: usize,
}

impl RandomState {
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = seed;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Self { mt, index: N }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.generate();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        for i in 0..N {
            let y = (self.mt[i] & UPPER) | (self.mt[(i + 1) % N] & LOWER);
            let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
            self.mt[i] = self.mt[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// `random_sample()`: a 53-bit double in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A value in [0, max] by masked rejection (numpy's `random_interval`, max < 2^32).
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `randint(low, high)` (high exclusive, high − low < 2^32).
    pub fn randint(&mut self, low: i64, high: i64) -> i64 {
        low + i64::from(self.interval((high - 1 - low) as u32))
    }

    /// `permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u32) as usize;
            out.swap(i, j);
        }
        out
    }
}

/// scikit-learn's `our_rand_r` xorshift, as used by `SequentialDataset.shuffle`.
pub fn our_rand_r(seed: &mut u32) -> u32 {
    if *seed == 0 {
        *seed = 1;
    }
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed % (i32::MAX as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_legacy_random_state() {
        let mut r = RandomState::new(42);
        assert_eq!(r.permutation(10), [8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
        assert_eq!(r.randint(1, i64::from(i32::MAX)), 669991379);
        assert_eq!(r.randint(0, i64::from(i32::MAX)), 429389014);
        let mut r = RandomState::new(42);
        let want = [0.3745401188473625, 0.9507143064099162, 0.7319939418114051];
        assert_eq!([r.next_f64(), r.next_f64(), r.next_f64()], want);
        let mut r = RandomState::new(42);
        let seeds: Vec<i64> = (0..5).map(|_| r.randint(0, 10_000)).collect();
        assert_eq!(seeds, [7270, 860, 5390, 5191, 5734]);
    }
}
