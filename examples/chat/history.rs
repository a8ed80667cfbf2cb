//! What a conversation keeps, sized to what it holds: the answer's tokens
//! in one string, growing as they come, and a [`ReplayBuffer`](sse_core::ReplayBuffer) of its
//! events as written that starts small (an idle conversation holds one
//! token) and is replaced by a larger one when the small one is full.

use sse_core::{Replay, ReplayBuffer, ReplayError, ReplayIter};

/// Room for the first events of an answer: 256 bytes, 8 events (448 bytes
/// with its index; a token event is about 30 bytes).
pub(crate) type SmallHistory = ReplayBuffer<256, 8>;

/// Room for a whole made-up answer: at most 120 tokens and the `done` event,
/// about 4 KiB with their ids (11 KiB with its index). A model's answer may
/// be longer: its oldest events are evicted, and a replay encodes them again
/// from the tokens.
pub(crate) type WholeHistory = ReplayBuffer<{ 8 * 1024 }, 128>;

/// A conversation's events, exactly as written, in a [`SmallHistory`] until
/// it is full, then in a [`WholeHistory`].
pub(crate) enum History {
    Small(Box<SmallHistory>),
    Whole(Box<WholeHistory>),
}

impl Default for History {
    fn default() -> Self {
        Self::Small(Box::default())
    }
}

impl History {
    /// Stores the newest event, as [`ReplayBuffer::push`] does. `Ok(false)`
    /// when the small history had no room for it, or evicted an older
    /// event: then [`grow`](Self::grow) it with every event again.
    pub(crate) fn push(&mut self, id: &str, event: &[u8]) -> Result<bool, ReplayError> {
        match self {
            Self::Small(small) => Ok(small.push(id, event).is_ok() && small.evicted() == 0),
            Self::Whole(whole) => whole.push(id, event).map(|()| true),
        }
    }

    /// Replaces a small history by a whole one with `events` (ids and
    /// bytes, oldest first).
    pub(crate) fn grow(&mut self, events: Vec<(String, Vec<u8>)>) -> Result<(), ReplayError> {
        let mut whole = Box::<WholeHistory>::default();
        for (id, event) in events {
            whole.push(&id, &event)?;
        }
        *self = Self::Whole(whole);
        Ok(())
    }

    pub(crate) fn replay_after(&self, last_event_id: &str) -> Replay<'_> {
        match self {
            Self::Small(small) => small.replay_after(last_event_id),
            Self::Whole(whole) => whole.replay_after(last_event_id),
        }
    }

    pub(crate) fn iter(&self) -> ReplayIter<'_> {
        match self {
            Self::Small(small) => small.iter(),
            Self::Whole(whole) => whole.iter(),
        }
    }

    pub(crate) fn oldest_id(&self) -> Option<&str> {
        match self {
            Self::Small(small) => small.oldest_id(),
            Self::Whole(whole) => whole.oldest_id(),
        }
    }
}

/// An answer's tokens as they come, in one string: token `i` is
/// `text[ends[i - 1]..ends[i]]` (from 0 for the first).
#[derive(Default)]
pub(crate) struct Answer {
    text: String,
    ends: Vec<u32>,
}

impl Answer {
    /// Adds the next token. The model's answers are bounded well below
    /// 4 GiB (`model::MAX_ANSWER_BYTES`).
    pub(crate) fn push(&mut self, token: &str) {
        self.text.push_str(token);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Gives back the room reserved for more tokens.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Token `i` (from 0).
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        self.text.get(start..end)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}
