//! Counts gRPC messages in a body's data chunks: each message is a 5-byte
//! prefix (compressed flag, 4-byte big-endian length) and its payload, and a
//! message may span chunks or share one with others.

/// Where the counter is inside the stream of length-prefixed messages.
#[derive(Debug, Default)]
pub(crate) struct FrameCounter {
    /// Prefix bytes of the next message seen so far.
    prefix: [u8; 5],
    prefix_len: usize,
    /// Payload bytes of the current message still to come.
    payload_left: u64,
}

impl FrameCounter {
    /// Feeds one data chunk; returns how many messages it completed.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) -> u64 {
        let mut completed = 0;
        while !chunk.is_empty() {
            if self.payload_left > 0 {
                let take = usize::try_from(self.payload_left)
                    .map_or(chunk.len(), |left| left.min(chunk.len()));
                chunk = &chunk[take..];
                self.payload_left -= take as u64;
                if self.payload_left == 0 {
                    completed += 1;
                }
                continue;
            }
            let take = (5 - self.prefix_len).min(chunk.len());
            self.prefix[self.prefix_len..self.prefix_len + take].copy_from_slice(&chunk[..take]);
            self.prefix_len += take;
            chunk = &chunk[take..];
            if self.prefix_len == 5 {
                self.prefix_len = 0;
                let [_, a, b, c, d] = self.prefix;
                self.payload_left = u64::from(u32::from_be_bytes([a, b, c, d]));
                if self.payload_left == 0 {
                    completed += 1;
                }
            }
        }
        completed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).expect("small payload");
        let mut bytes = vec![0];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn counts_messages_however_the_chunks_split_them() {
        let stream: Vec<u8> = [message(b"hello"), message(b""), message(&[7; 300])].concat();
        for chunk_size in 1..=stream.len() {
            let mut counter = FrameCounter::default();
            let total: u64 = stream
                .chunks(chunk_size)
                .map(|chunk| counter.feed(chunk))
                .sum();
            assert_eq!(total, 3, "chunks of {chunk_size}");
        }
    }

    #[test]
    fn a_message_counts_only_once_its_payload_is_complete() {
        let bytes = message(b"hello");
        let mut counter = FrameCounter::default();
        assert_eq!(counter.feed(&bytes[..7]), 0);
        assert_eq!(counter.feed(&bytes[7..]), 1);
    }
}
