//! Which of a screen's focusable items has the focus: a position in its Tab order. The items
//! may change under it (a field removed, a storage choice that adds two inputs); every read
//! clamps, so the focus always names an item that is there.

/// A focus position in a list of items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FocusRing(usize);

impl FocusRing {
    /// The focused item of `items`, when there is one.
    pub fn get<T: Copy>(self, items: &[T]) -> Option<T> {
        items
            .get(self.0.min(items.len().saturating_sub(1)))
            .copied()
    }

    /// Focus `item`, when it is among `items`.
    pub fn set<T: PartialEq>(&mut self, items: &[T], item: &T) {
        if let Some(pos) = items.iter().position(|i| i == item) {
            self.0 = pos;
        }
    }

    /// The next of `n` items (Tab), round to the first.
    pub fn next(&mut self, n: usize) {
        let n = n.max(1);
        self.0 = (self.0.min(n - 1) + 1) % n;
    }

    /// The previous of `n` items (Shift-Tab), round to the last.
    pub fn prev(&mut self, n: usize) {
        let n = n.max(1);
        self.0 = (self.0.min(n - 1) + n - 1) % n;
    }

    /// Keep the position within `n` items (after one was removed).
    pub fn clamp(&mut self, n: usize) {
        self.0 = self.0.min(n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_focus_goes_round_and_survives_a_shorter_list() {
        let items = ['a', 'b', 'c'];
        let mut f = FocusRing::default();
        assert_eq!(f.get(&items), Some('a'));
        f.prev(3);
        assert_eq!(f.get(&items), Some('c'));
        f.next(3);
        assert_eq!(f.get(&items), Some('a'));
        f.set(&items, &'c');
        assert_eq!(f.get(&['x', 'y']), Some('y'), "clamped to the last item");
        f.clamp(2);
        f.next(2);
        assert_eq!(f.get(&['x', 'y']), Some('x'));
        assert_eq!(f.get::<char>(&[]), None);
    }
}
