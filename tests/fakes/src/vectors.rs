//! Deterministic embeddings shared by the fakes, so that tests can compute the vector a fake
//! returns for a text and check that it arrived unchanged (through base64, translations...).

/// Length of the fakes' vectors unless the request asks for `dimensions`.
pub const DEFAULT_DIMENSIONS: usize = 8;

/// The vector the fakes return for `text`: values in [-1, 1) with three decimals, derived from
/// an FNV-1a hash of the text and the position (exact as f32, so base64 round trips compare
/// equal).
pub fn embedding(text: &str, dimensions: usize) -> Vec<f32> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..dimensions as u64)
        .map(|i| {
            let mixed = (hash ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd);
            let step = ((mixed >> 33) % 2048) as f32;
            step / 1024.0 - 1.0
        })
        .collect()
}

/// The text the fakes embed for a list of token ids (OpenAI accepts token input).
pub fn tokens_text(tokens: &[u64]) -> String {
    tokens.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        assert_eq!(embedding("a", 4), embedding("a", 4));
        assert_ne!(embedding("a", 4), embedding("b", 4));
        assert!(embedding("hello", 64).iter().all(|v| (-1.0..1.0).contains(v)));
    }
}
