//! Unit-length vectors searched exactly (brute-force cosine, i.e. dot products), in 8 bits: the
//! knowledge base's passage and title vectors, and the intent neighbours' training examples.
//!
//! Vectors are stored by lane. The routed encoder writes each vector into its own encoder's half
//! and leaves the other half zero, so each row keeps only its span of non-zero components, rows
//! with the same span share one matrix, and a query reads only the lanes its own span overlaps:
//! an English question reads the English rows, half as wide as the vector, and nothing else.
//! That is half the memory and about a quarter of the work of a full scan; the cosines are the
//! same, since the components left out are zero.
//!
//! Each row is stored as 8-bit integers with one scale (its largest component maps to 127): a
//! quarter of the memory of `f32` (at 10,000 articles, 58 MB instead of 230 MB for 150,000
//! rows). The query is put in 16 bits once per search, so each row costs integer multiply-adds
//! ([`super::int8`]); a unit vector's 384 components are small and even, so the cosine moves by
//! about 1e-3 at most (the rows' rounding), well below the gaps that order the articles.
//!
//! [`VectorCache`](crate::kb::vector_cache::VectorCache) remembers the vector of every passage
//! text it has seen, so that a rebuild only embeds what changed.

use std::ops::Range;

use super::int8::{dot, nonzero_span, quantize, quantize_row};

/// A vector kept from its first to its last non-zero component.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRow {
    start: usize,
    values: Vec<f32>,
}

impl SparseRow {
    pub fn compact(vector: &[f32]) -> SparseRow {
        let span = nonzero_span(vector);
        SparseRow {
            start: span.start,
            values: vector[span].to_vec(),
        }
    }

    /// The whole vector, zeros included, `dim` wide.
    pub fn expanded(&self, dim: usize) -> Vec<f32> {
        let mut vector = vec![0.0; dim];
        if let Some(slot) = vector.get_mut(self.start..self.start + self.values.len()) {
            slot.copy_from_slice(&self.values);
        }
        vector
    }

    fn span(&self) -> Range<usize> {
        self.start..self.start + self.values.len()
    }
}

/// Rows that share one span of non-zero components, row-major, `span.len()` wide: row `i` is
/// `data[i * width..][..width]` times `scales[i]`.
struct Lane {
    span: Range<usize>,
    rows: Vec<usize>,
    data: Vec<i8>,
    scales: Vec<f32>,
}

impl Lane {
    fn row(&self, place: usize) -> (&[i8], f32) {
        let width = self.span.len();
        (
            &self.data[place * width..(place + 1) * width],
            self.scales[place],
        )
    }
}

/// Unit-length rows (passages, titles, training examples) in 8 bits, by lane.
pub struct Vectors {
    dim: usize,
    lanes: Vec<Lane>,
    /// Row number -> (lane, place in the lane); an all-zero row has none.
    places: Vec<Option<(usize, usize)>>,
}

impl Vectors {
    /// Row `i` is the `i`-th item; `None` stands for a zero vector (a text not embedded).
    pub fn from_rows<'a>(
        dim: usize,
        rows: impl IntoIterator<Item = Option<&'a SparseRow>>,
    ) -> Vectors {
        let mut vectors = Vectors {
            dim,
            lanes: Vec::new(),
            places: Vec::new(),
        };
        for (number, row) in rows.into_iter().enumerate() {
            let place = row
                .filter(|row| !row.values.is_empty() && row.span().end <= dim)
                .map(|row| vectors.push(number, row));
            vectors.places.push(place);
        }
        vectors
    }

    fn push(&mut self, number: usize, row: &SparseRow) -> (usize, usize) {
        let span = row.span();
        let lane = match self.lanes.iter().position(|lane| lane.span == span) {
            Some(lane) => lane,
            None => {
                self.lanes.push(Lane {
                    span,
                    rows: Vec::new(),
                    data: Vec::new(),
                    scales: Vec::new(),
                });
                self.lanes.len() - 1
            }
        };
        let lane_rows = &mut self.lanes[lane];
        let (values, scale) = quantize_row(&row.values);
        lane_rows.rows.push(number);
        lane_rows.data.extend(values);
        lane_rows.scales.push(scale);
        (lane, lane_rows.rows.len() - 1)
    }

    /// Width of the vectors (of every row and of a query).
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Cosine of passage `number` with a unit-length `query`.
    pub fn cosine(&self, number: usize, query: &[f32]) -> f32 {
        let Some(Some((lane, place))) = self.places.get(number) else {
            return 0.0;
        };
        if query.len() != self.dim {
            return 0.0;
        }
        let lane = &self.lanes[*lane];
        let (row, scale) = lane.row(*place);
        let (query, query_scale) = quantize(&query[lane.span.clone()]);
        dot(row, &query) as f32 * scale * query_scale
    }

    /// Row `number` as a whole `dim`-wide vector, from its 8 bits (zeros for a row without one).
    pub fn expanded(&self, number: usize) -> Vec<f32> {
        let mut vector = vec![0.0; self.dim];
        if let Some(Some((lane, place))) = self.places.get(number) {
            let lane = &self.lanes[*lane];
            let (row, scale) = lane.row(*place);
            for (slot, value) in vector[lane.span.clone()].iter_mut().zip(row) {
                *slot = f32::from(*value) * scale;
            }
        }
        vector
    }

    /// The `limit` passages most similar to `query` among those `visible` allows:
    /// (passage number, cosine), best first.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        visible: impl Fn(usize) -> bool,
    ) -> Vec<(usize, f32)> {
        let mut best = Best::new(limit);
        self.visit(query, |number, cosine| {
            if best.could_take(cosine) && visible(number) {
                best.offer(number, cosine);
            }
        });
        best.into_sorted()
    }

    /// Calls `each(row number, cosine with query)` for every row whose non-zero span overlaps
    /// the query's (the others have cosine zero and are left out), lane by lane.
    pub fn visit(&self, query: &[f32], mut each: impl FnMut(usize, f32)) {
        if query.len() != self.dim || self.dim == 0 {
            return;
        }
        let active = nonzero_span(query);
        for lane in &self.lanes {
            let overlap = active.start.max(lane.span.start)..active.end.min(lane.span.end);
            if overlap.is_empty() {
                continue;
            }
            let columns = overlap.start - lane.span.start..overlap.end - lane.span.start;
            let (query, query_scale) = quantize(&query[overlap]);
            for (place, number) in lane.rows.iter().enumerate() {
                let (row, scale) = lane.row(place);
                each(
                    *number,
                    dot(&row[columns.clone()], &query) as f32 * scale * query_scale,
                );
            }
        }
    }
}

/// The `limit` best (row, cosine) pairs of a scan, in a buffer of twice that: when it fills, the
/// best half is selected and the rest dropped (linear time, as one selection over every row).
/// A search over 150,000 rows holds a few hundred pairs instead of all of them (2.4 MB, grown
/// and mapped afresh for every message), and once the buffer has been cut, a row under the
/// best one dropped cannot be among the best: it is not kept at all.
struct Best {
    limit: usize,
    pairs: Vec<(usize, f32)>,
    /// The cosine of the best pair dropped so far (every kept pair is at least this good).
    floor: f32,
}

impl Best {
    fn new(limit: usize) -> Best {
        Best {
            limit,
            pairs: Vec::with_capacity(buffer_len(limit).min(8192)),
            floor: f32::NEG_INFINITY,
        }
    }

    /// A pair with this cosine may still be among the best (ties with the floor may, by row).
    fn could_take(&self, cosine: f32) -> bool {
        cosine >= self.floor
    }

    fn offer(&mut self, number: usize, cosine: f32) {
        self.pairs.push((number, cosine));
        if self.pairs.len() >= buffer_len(self.limit) {
            self.keep_best();
        }
    }

    fn keep_best(&mut self) {
        if self.pairs.len() > self.limit {
            self.pairs.select_nth_unstable_by(self.limit, by_score);
            self.floor = self.pairs[self.limit].1;
            self.pairs.truncate(self.limit);
        }
    }

    /// Best first.
    fn into_sorted(mut self) -> Vec<(usize, f32)> {
        self.keep_best();
        self.pairs.sort_by(by_score);
        self.pairs
    }
}

/// Pairs held before the buffer is cut back to `limit`.
fn buffer_len(limit: usize) -> usize {
    limit.saturating_mul(2).max(16)
}

/// Higher cosine first; ties go to the lower row, so a truncated search orders them as a full
/// one does.
fn by_score(a: &(usize, f32), b: &(usize, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors(dim: usize, rows: &[Vec<f32>]) -> Vectors {
        let rows: Vec<SparseRow> = rows.iter().map(|r| SparseRow::compact(r)).collect();
        Vectors::from_rows(dim, rows.iter().map(Some))
    }

    #[test]
    fn nearest_rows_come_first_and_hidden_rows_never() {
        let rows = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]].map(|r| r.to_vec());
        let v = vectors(2, &rows);
        let top = v.search(&[1.0, 0.0], 2, |n| n != 0);
        let numbers: Vec<usize> = top.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![3, 2]);
    }

    #[test]
    fn a_truncated_search_is_the_head_of_a_full_one_ties_included() {
        // 40 rows over 5 distinct directions: many exact ties in cosine.
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|n| {
                let angle = (n % 5) as f32 * 0.3;
                vec![angle.cos(), angle.sin()]
            })
            .collect();
        let v = vectors(2, &rows);
        let query = [1.0, 0.0];
        let full = v.search(&query, rows.len(), |n| n % 7 != 3);
        assert_eq!(full.len(), rows.len() - 6);
        for limit in [0, 1, 5, 8, 9, 17, 33] {
            assert_eq!(v.search(&query, limit, |n| n % 7 != 3), full[..limit]);
        }
        assert!(full.windows(2).all(|w| w[0].1 > w[1].1 || w[0].0 < w[1].0));
    }

    #[test]
    fn a_query_in_one_half_reads_only_the_rows_of_that_half_with_the_same_cosines() {
        let half = |seed: usize, second: bool| -> Vec<f32> {
            let values = (0..8).map(|i| (((i * 7 + seed * 13) % 17) as f32 - 8.0) / 10.0);
            let mut row = vec![0.0; 16];
            let offset = if second { 8 } else { 0 };
            row.iter_mut()
                .skip(offset)
                .zip(values)
                .for_each(|(slot, v)| *slot = v);
            row
        };
        let rows: Vec<Vec<f32>> = (0..6).map(|n| half(n, n % 2 == 1)).collect();
        let v = vectors(16, &rows);
        assert_eq!(v.lanes.len(), 2);
        let query = half(9, false);
        let found = v.search(&query, 10, |_| true);
        let mut numbers: Vec<usize> = found.iter().map(|(n, _)| *n).collect();
        numbers.sort();
        assert_eq!(
            numbers,
            vec![0, 2, 4],
            "rows of the other half have cosine 0"
        );
        for (n, cosine) in found {
            let plain: f32 = rows[n].iter().zip(&query).map(|(x, y)| x * y).sum();
            assert!((cosine - plain).abs() < 0.01, "{cosine} vs {plain}");
            assert!((v.cosine(n, &query) - plain).abs() < 0.01);
        }
        assert_eq!(v.cosine(1, &query), 0.0);
    }

    #[test]
    fn eight_bit_rows_keep_unit_vector_cosines_within_a_thousandth() {
        let unit = |seed: usize| -> Vec<f32> {
            let raw: Vec<f32> = (0..384)
                .map(|i| (((i * 31 + seed * 17) % 101) as f32 - 50.0) / 50.0)
                .collect();
            let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
            raw.iter().map(|v| v / norm).collect()
        };
        let rows: Vec<Vec<f32>> = (0..20).map(unit).collect();
        let v = vectors(384, &rows);
        let query = unit(99);
        for (n, row) in rows.iter().enumerate() {
            let exact: f32 = row.iter().zip(&query).map(|(x, y)| x * y).sum();
            assert!((v.cosine(n, &query) - exact).abs() < 1e-3);
        }
    }

    #[test]
    fn a_row_expands_back_to_the_vector_it_came_from() {
        let vector = vec![0.0, 0.5, 0.0, -0.25, 0.0];
        assert_eq!(SparseRow::compact(&vector).expanded(5), vector);
        assert_eq!(SparseRow::compact(&[0.0; 3]).expanded(3), vec![0.0; 3]);
    }
}
