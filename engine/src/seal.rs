//! Seals: an origin's ed25519 signature over the head of one of its chains.
//!
//! Each event's hash covers the previous event's hash in its chain, so a signature over the head
//! at `seq` attests every event of the chain up to `seq`. A local commit seals the last event it
//! writes in each chain (and at least every
//! [`SEAL_INTERVAL_EVENTS`](crate::limits::SEAL_INTERVAL_EVENTS) events), which makes every
//! event attributable to its origin at the cost of one signature per chain per commit instead
//! of one per event.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::{ChainId, Hash, NodeId, Seq};
use crate::limits::NAME_BYTES_MAX;

/// Domain separation for seal signatures, so that no other signed message can pass as a seal.
const SEAL_CONTEXT: &[u8; 13] = b"nhip/seal/v1\0";

/// An origin's signature over the head of its chain `chain` at `seq`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Seal {
    /// The chain (its origin signed).
    pub chain: ChainId,
    /// The sequence number of the sealed event.
    pub seq: Seq,
    /// The hash of the sealed event.
    pub hash: Hash,
    /// ed25519 signature over
    /// `nhip/seal/v1\0 ‖ origin ‖ len(unit) (u8) ‖ unit ‖ seq (u64 BE) ‖ hash`.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

/// Why a seal does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The origin is not a valid ed25519 public key.
    #[error("origin {0:?} is not a valid ed25519 public key")]
    BadKey(NodeId),
    /// The signature does not verify under the origin's key.
    #[error("seal of chain {chain} at seq {seq} has a signature that does not verify")]
    BadSignature {
        /// The claimed chain.
        chain: ChainId,
        /// The claimed sequence number.
        seq: Seq,
    },
}

fn message(chain: &ChainId, seq: Seq, hash: Hash) -> Vec<u8> {
    let unit = chain.unit.as_str().as_bytes();
    let mut out = Vec::with_capacity(SEAL_CONTEXT.len() + 32 + 1 + unit.len() + 8 + 32);
    out.extend_from_slice(SEAL_CONTEXT);
    out.extend_from_slice(&chain.origin.0);
    // Invariant: unit codes are at most NAME_BYTES_MAX (< 256) bytes.
    out.push(u8::try_from(unit.len()).expect("unit codes fit a length byte"));
    out.extend_from_slice(unit);
    out.extend_from_slice(&seq.0.to_be_bytes());
    out.extend_from_slice(&hash.0);
    out
}

const _: () = assert!(NAME_BYTES_MAX <= u8::MAX as usize);

impl Seal {
    /// Signs the head `(seq, hash)` of `chain`, which must be one of the signer's own.
    pub fn sign(signer: &SigningKey, chain: ChainId, seq: Seq, hash: Hash) -> Seal {
        debug_assert_eq!(chain.origin, node_id(signer));
        let signature = signer.sign(&message(&chain, seq, hash)).to_bytes();
        Seal {
            chain,
            seq,
            hash,
            signature,
        }
    }

    /// Checks the signature against the origin's key (strict verification: no malleable or
    /// small-order forms).
    pub fn verify(&self) -> Result<(), SealError> {
        let origin = self.chain.origin;
        let key = VerifyingKey::from_bytes(&origin.0).map_err(|_| SealError::BadKey(origin))?;
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(&message(&self.chain, self.seq, self.hash), &signature)
            .map_err(|_| SealError::BadSignature {
                chain: self.chain.clone(),
                seq: self.seq,
            })
    }
}

/// The node id of a signing key.
pub fn node_id(signer: &SigningKey) -> NodeId {
    NodeId(signer.verifying_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UnitId;

    fn chain(signer: &SigningKey, unit: &str) -> ChainId {
        ChainId {
            origin: node_id(signer),
            unit: UnitId::new(unit).unwrap(),
        }
    }

    #[test]
    fn a_seal_verifies_and_any_change_breaks_it() {
        let signer = SigningKey::from_bytes(&[9; 32]);
        let seal = Seal::sign(&signer, chain(&signer, "xa"), Seq(4), Hash([3; 32]));
        assert_eq!(seal.verify(), Ok(()));

        let mut moved = seal.clone();
        moved.seq = Seq(5);
        assert!(moved.verify().is_err());

        let mut rehashed = seal.clone();
        rehashed.hash = Hash([4; 32]);
        assert!(rehashed.verify().is_err());

        let mut other_chain = seal.clone();
        other_chain.chain.unit = UnitId::new("xa/ban").unwrap();
        assert!(other_chain.verify().is_err(), "a seal names its chain");

        let other = SigningKey::from_bytes(&[8; 32]);
        let mut stolen = Seal::sign(&other, chain(&other, "xa"), Seq(4), Hash([3; 32]));
        stolen.chain.origin = seal.chain.origin;
        assert!(
            stolen.verify().is_err(),
            "another key's signature must fail"
        );
    }
}
