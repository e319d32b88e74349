//! What calls cost, and the batched writer that records them.

pub mod prices;
mod writer;

pub use prices::{Price, price_for, price_of};
pub use writer::{SpendSink, SpendWriter, WriterMessage, WriterStatus};

use crate::schema::Usage;

/// USD cost of a call: prompt and completion tokens at the deployment's prices.
pub fn cost(price: Option<&Price>, usage: &Usage) -> f64 {
    let Some(p) = price else { return 0.0 };
    usage.prompt_tokens as f64 * p.input_cost_per_token.unwrap_or(0.0)
        + usage.completion_tokens as f64 * p.output_cost_per_token.unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cost_is_tokens_times_prices() {
        let p = super::Price {
            input_cost_per_token: Some(2.5e-6),
            output_cost_per_token: Some(1e-5),
            ..Default::default()
        };
        let u = crate::schema::Usage { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
        assert!((super::cost(Some(&p), &u) - 7.5e-5).abs() < 1e-12, "LiteLLM's gpt-4o example");
        assert_eq!(super::cost(None, &u), 0.0);
    }
}
