//! 8-bit vectors and their dot products, shared by the knowledge base's dense index and the
//! intent neighbours: rows stored as 8-bit integers with one scale each, a query in 16 bits,
//! multiplied with AVX2 when the CPU has it. A quarter of the memory of floats, and of the cache
//! it takes from the encoder on the same core.

use std::ops::Range;

/// A row in 8 bits (its largest component maps to 127), and its scale: value x scale gives the
/// component back to within half a step.
pub fn quantize_row(row: &[f32]) -> (Vec<i8>, f32) {
    let largest = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    (
        row.iter().map(|v| (v / scale).round() as i8).collect(),
        scale,
    )
}

/// The query in 16 bits (its largest component maps to 32767: a step of 1/32767 of it, far
/// finer than the rows' 8 bits), and its scale.
pub fn quantize(query: &[f32]) -> (Vec<i16>, f32) {
    let largest = query.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if largest > 0.0 {
        largest / f32::from(i16::MAX)
    } else {
        1.0
    };
    let values = query.iter().map(|v| (v / scale).round() as i16).collect();
    (values, scale)
}

/// The dot product of an 8-bit row and a 16-bit query: with AVX2 when the CPU has it (checked
/// once, at run time; the release build targets baseline x86-64, whose 128-bit SSE2 does half the
/// work per instruction). A large knowledge base spends most of a search here (2,000 articles: 44%
/// of the server's CPU at 16 clients before AVX2).
pub fn dot(a: &[i8], b: &[i16]) -> i32 {
    // The standard library caches the CPU's features: after the first call this is one load.
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_avx2` only needs AVX2, which the CPU has just been checked for.
        return unsafe { dot_avx2(a, b) };
    }
    dot_portable(a, b)
}

/// Sixteen bytes widened to 16 bits (`vpmovsxbw`), multiplied by sixteen query values and added
/// in pairs (`vpmaddwd`) into eight 32-bit sums per step. Written with intrinsics because the
/// compiler, left to itself, widens to 32 bits and multiplies with `vpmulld`, no faster than SSE2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(a: &[i8], b: &[i16]) -> i32 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm_add_epi32, _mm_loadu_si128, _mm_storeu_si128, _mm256_add_epi32,
        _mm256_castsi256_si128, _mm256_cvtepi8_epi16, _mm256_extracti128_si256, _mm256_loadu_si256,
        _mm256_madd_epi16, _mm256_setzero_si256,
    };
    let (a_chunks, a_tail) = a.as_chunks::<16>();
    let (b_chunks, b_tail) = b.as_chunks::<16>();
    let mut sums = _mm256_setzero_si256();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        // SAFETY: unaligned loads of exactly one 16-byte and one 32-byte array.
        let (x, y) = unsafe {
            (
                _mm_loadu_si128(x.as_ptr().cast::<__m128i>()),
                _mm256_loadu_si256(y.as_ptr().cast::<__m256i>()),
            )
        };
        sums = _mm256_add_epi32(sums, _mm256_madd_epi16(_mm256_cvtepi8_epi16(x), y));
    }
    let halves = _mm_add_epi32(
        _mm256_castsi256_si128(sums),
        _mm256_extracti128_si256::<1>(sums),
    );
    let mut lanes = [0i32; 4];
    // SAFETY: an unaligned store of exactly one 16-byte array.
    unsafe { _mm_storeu_si128(lanes.as_mut_ptr().cast::<__m128i>(), halves) };
    lanes.iter().sum::<i32>() + plain_dot(a_tail, b_tail)
}

/// Integer products summed in sixteen independent 32-bit accumulators: the compiler turns them
/// into multiply-and-add instructions on 16-bit lanes (`pmaddwd`), several times the speed of
/// converting each byte to a float. The sum fits an `i32` for any row up to 512 wide
/// (512 x 128 x 32768 = 2^31; rows are 384).
fn dot_portable(a: &[i8], b: &[i16]) -> i32 {
    let (a_chunks, a_tail) = a.as_chunks::<16>();
    let (b_chunks, b_tail) = b.as_chunks::<16>();
    let mut sums = [0i32; 16];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..16 {
            sums[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    sums.iter().sum::<i32>() + plain_dot(a_tail, b_tail)
}

/// One product at a time: the last few values after the vectorised chunks.
fn plain_dot(a: &[i8], b: &[i16]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

/// The index range from the first to the last non-zero component (empty for a zero vector).
pub fn nonzero_span(vector: &[f32]) -> Range<usize> {
    let first = vector.iter().position(|v| *v != 0.0).unwrap_or(0);
    let last = vector
        .iter()
        .rposition(|v| *v != 0.0)
        .map_or(first, |i| i + 1);
    first..last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixteen_way_sum_matches_a_plain_sum_on_every_instruction_set_even_at_the_extremes() {
        let a: Vec<i8> = (0..771).map(|i| (i * 7 % 17) as i8 - 8).collect();
        let b: Vec<i16> = (0..771).map(|i| (i * 5 % 13) as i16 * 997 - 6000).collect();
        let plain: i32 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| i32::from(*x) * i32::from(*y))
            .sum();
        assert_eq!(dot(&a, &b), plain);
        assert_eq!(dot_portable(&a, &b), plain);
        let widest = dot(&vec![-128i8; 384], &vec![-32767i16; 384]);
        assert_eq!(widest, 384 * 128 * 32767);
    }
}
