//! What calls cost, and the batched writer that records them.

pub mod prices;
mod writer;

pub use prices::{Price, models_by_provider, price_for, price_of};
pub use writer::{SpendSink, SpendWriter, WriterMessage, WriterStatus};
