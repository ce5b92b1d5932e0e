//! A stable sort that costs little code.
//!
//! `slice::sort_by` (driftsort) and `sort_unstable` (ipnsort) are fast but large: every element
//! type gets its own copy of run detection, sorting networks and merges, about 5-6 kB of wasm
//! each, and the agent sorts eight different types (about 48 kB of the module, measured with
//! the name section of the `wasm` profile). Here one non-generic merge sort orders indices
//! through a `dyn` comparison, and each element type only adds a small shim and the
//! permutation. The order is exactly that of `slice::sort_by` (stable, O(n log n) comparisons).

use alloc::vec::Vec;

/// Sorts `v` stably: `less(a, b)` is "a belongs strictly before b". Same result as
/// `v.sort_by(|a, b| if less(a, b) { Less } else if less(b, a) { Greater } else { Equal })`.
pub fn sort_by<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    if v.len() < 2 {
        return;
    }
    let perm = {
        let items: &[T] = v;
        sorted_indices(items.len(), &mut |a, b| less(&items[a], &items[b]))
    };
    apply(v, perm);
}

/// Stable sort by a key, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a) < key(b));
}

/// `perm[i]` = the index of the element that belongs at position `i`. Bottom-up merge sort of
/// indices: insertion sort of runs of `RUN`, then merges of doubling width through one buffer.
/// Stable because a merge takes from the left run unless the right element is strictly less.
fn sorted_indices(n: usize, less: &mut dyn FnMut(usize, usize) -> bool) -> Vec<u32> {
    const RUN: usize = 8;
    let mut a: Vec<u32> = (0..n as u32).collect();
    let mut start = 0;
    while start < n {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let x = a[i];
            let mut j = i;
            while j > start && less(x as usize, a[j - 1] as usize) {
                a[j] = a[j - 1];
                j -= 1;
            }
            a[j] = x;
        }
        start = end;
    }
    let mut b: Vec<u32> = Vec::with_capacity(n);
    let mut width = RUN;
    while width < n {
        b.clear();
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j) = (lo, mid);
            while i < mid && j < hi {
                if less(a[j] as usize, a[i] as usize) {
                    b.push(a[j]);
                    j += 1;
                } else {
                    b.push(a[i]);
                    i += 1;
                }
            }
            b.extend_from_slice(&a[i..mid]);
            b.extend_from_slice(&a[j..hi]);
            lo = hi;
        }
        core::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    a
}

/// Moves `v[perm[i]]` to position `i` for every `i`, following each cycle once.
fn apply<T>(v: &mut [T], mut perm: Vec<u32>) {
    for start in 0..v.len() {
        let mut cur = start;
        loop {
            let next = perm[cur] as usize;
            perm[cur] = cur as u32;
            if next == start || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn small_cases() {
        let mut e: Vec<u8> = vec![];
        sort_by_key(&mut e, |x| *x);
        assert!(e.is_empty());
        let mut one = vec![3];
        sort_by_key(&mut one, |x| *x);
        assert_eq!(one, [3]);
        let mut v = vec![5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4];
        let mut w = v.clone();
        sort_by_key(&mut v, |x| *x);
        w.sort();
        assert_eq!(v, w);
    }

    proptest! {
        /// Same order as the standard library's stable sort, ties included (the second field
        /// tells equal keys apart), for every length around the run and merge boundaries.
        #[test]
        fn matches_std_stable_sort(keys in proptest::collection::vec(0u8..12, 0..300)) {
            let items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |x| x.0);
            let mut std = items.clone();
            std.sort_by_key(|x| x.0);
            prop_assert_eq!(&ours, &std);

            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| b.0 < a.0);
            let mut std = items;
            std.sort_by_key(|x| core::cmp::Reverse(x.0));
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn owned_values_move_intact(words in proptest::collection::vec("[a-c]{0,3}", 0..100)) {
            let mut ours: Vec<String> = words.clone();
            sort_by(&mut ours, |a, b| a < b);
            let mut std = words;
            std.sort();
            prop_assert_eq!(ours, std);
        }
    }
}
