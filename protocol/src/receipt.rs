//! Receipts: a receiver's signed statement of what it holds after committing a batch.
//!
//! A child keeps its parent's receipts. If the parent later shows a log that lacks an event it
//! once acknowledged, the receipt — signed by the parent's key over the chain heads it held —
//! proves it (design.md invariant 6). The signed bytes are kept exactly as signed.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use nhip_engine::{ChainId, Hash, NodeId, Seq};
use serde::{Deserialize, Serialize};

/// A chain and the hash of its head, as a receipt states it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChainHead {
    /// The chain.
    pub chain: ChainId,
    /// Its last sequence number held.
    pub seq: Seq,
    /// The hash of that event.
    pub hash: Hash,
}

/// Domain separation for receipt signatures.
const RECEIPT_CONTEXT: &[u8; 16] = b"nhip/receipt/v1\0";

/// What a receipt states.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ReceiptBody {
    /// The node that committed the batch and signs the receipt.
    pub receiver: NodeId,
    /// The node that sent it.
    pub sender: NodeId,
    /// The sender's batch number on that connection.
    pub batch: u64,
    /// blake3 of the uncompressed batch.
    pub batch_hash: Hash,
    /// For every chain of the batch that was stored (or already held), the head the receiver
    /// held after its commit.
    pub heads: Vec<ChainHead>,
    /// The receiver's clock at the commit.
    pub received_ms: u64,
}

/// A signed receipt: the body's MessagePack bytes, exactly as signed, and the signature.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Receipt {
    /// MessagePack of [`ReceiptBody`].
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// ed25519 over `nhip/receipt/v1\0 ‖ body`, by `body.receiver`.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

/// Why a receipt proves nothing.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The body does not decode.
    #[error("the receipt body is malformed")]
    Malformed,
    /// The receiver named is not a valid key.
    #[error("the receipt's receiver is not a valid ed25519 key")]
    BadKey,
    /// The signature does not verify under the receiver's key.
    #[error("the receipt's signature does not verify")]
    BadSignature,
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(RECEIPT_CONTEXT.len() + body.len());
    message.extend_from_slice(RECEIPT_CONTEXT);
    message.extend_from_slice(body);
    message
}

impl Receipt {
    /// Signs `body` with the receiver's key.
    pub fn sign(signer: &SigningKey, body: &ReceiptBody) -> Receipt {
        debug_assert_eq!(body.receiver, nhip_engine::node_id(signer));
        // Invariant: a receipt body holds only ids, numbers and hashes.
        let body = rmp_serde::to_vec(body).expect("a receipt body encodes");
        let signature = signer.sign(&signed_message(&body)).to_bytes();
        Receipt { body, signature }
    }

    /// Verifies the signature and returns what the receipt states.
    pub fn verify(&self) -> Result<ReceiptBody, ReceiptError> {
        let body: ReceiptBody =
            rmp_serde::from_slice(&self.body).map_err(|_| ReceiptError::Malformed)?;
        let key = VerifyingKey::from_bytes(&body.receiver.0).map_err(|_| ReceiptError::BadKey)?;
        key.verify_strict(
            &signed_message(&self.body),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| ReceiptError::BadSignature)?;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_verifies_and_tampering_breaks_it() {
        let signer = SigningKey::from_bytes(&[5; 32]);
        let body = ReceiptBody {
            receiver: nhip_engine::node_id(&signer),
            sender: NodeId([1; 32]),
            batch: 3,
            batch_hash: Hash([2; 32]),
            heads: Vec::new(),
            received_ms: 10,
        };
        let receipt = Receipt::sign(&signer, &body);
        assert_eq!(receipt.verify(), Ok(body));
        let mut tampered = receipt.clone();
        let last = tampered.body.len() - 1;
        tampered.body[last] ^= 1;
        assert!(tampered.verify().is_err());
    }
}
