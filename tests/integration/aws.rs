//! The AWS adapters (`shadowhunter-aws`) with the real SDK clients against moto's server, and the port contracts
//! they share with the embedded SQLite adapters. See `aws/moto.rs` for how the server is found or started.

/// Runs each contract function against both adapters, as `sqlite::<name>` and `dynamodb::<name>`: `$sqlite` and
/// `$dynamodb` are the functions (in the invoking module) that make a fresh adapter of each kind.
macro_rules! contract_against_both {
    ($sqlite:ident, $dynamodb:ident; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&super::$sqlite()).await;
                }
            )+
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&super::$dynamodb().await).await;
                }
            )+
        }
    };
}

pub mod fixtures;
pub mod moto;
mod response_cache;
mod sqs;
mod step_functions;
mod store;
