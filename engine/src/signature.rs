//! Personal signatures: a person's ed25519 signature over an event's content, so the log
//! proves which *person* decided, where the node's seal proves which *machine* wrote.
//!
//! A signed event carries its body as version [`SIGNED_BODY_VERSION`]: the body's data is
//! `[inner, key, signature]` (a MessagePack array), where `inner` is exactly the kind's own
//! encoding (what version 1 carries as the data), `key` the signer's [`PersonKey`] and
//! `signature` an ed25519 signature over
//!
//! ```text
//! nhip/person/v1\0 ‖ event id (16) ‖ len(actor) (u8) ‖ actor ‖ len(unit) (u8) ‖ unit
//!   ‖ seen: 0x00, or 0x01 ‖ event id (16) ‖ len(kind) (u8) ‖ kind ‖ len(inner) (u32 BE) ‖ inner
//! ```
//!
//! The event id makes a signature good for one event only; the inner bytes hold the item, the
//! value the writer saw and the new value; `seen` is the item version the decision was made
//! on. A node that does not know version 2 of a kind keeps, forwards and counts the event as
//! one of a newer kind, as it does any other.
//!
//! Setup codes: an administrator issues a person a one-time code. What the log holds is the
//! public half of an ed25519 key derived from the code ([`setup_key`]), never the code; the
//! person's first key is published with a proof made by that derived key
//! ([`setup_proof`]), so every node can check that whoever published the key knew the code.

use crate::body::{SIGNED_BODY_VERSION, SignedData, SignedView, inner_data};
use crate::event::{Body, Draft, Event};
use crate::ids::{EventId, PersonId, PersonKey, UnitId};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

const PERSON_CONTEXT: &[u8; 15] = b"nhip/person/v1\0";
const SETUP_CONTEXT: &[u8; 14] = b"nhip/setup/v1\0";
const SETUP_DERIVE_CONTEXT: &str = "nhip 2026-12 setup code to ed25519 key";

/// The person key of a signing key.
pub fn person_key(signer: &SigningKey) -> PersonKey {
    PersonKey(signer.verifying_key().to_bytes())
}

/// What an event says about its personal signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Check {
    /// It carries none.
    Unsigned,
    /// It carries a signature by this key that verifies over its content.
    Valid(PersonKey),
    /// It carries a signature that does not verify (or is not well formed).
    Invalid,
}

fn message(
    id: EventId,
    actor: &PersonId,
    unit: &UnitId,
    seen: Option<EventId>,
    kind: &str,
    inner: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(PERSON_CONTEXT.len() + 64 + kind.len() + inner.len());
    out.extend_from_slice(PERSON_CONTEXT);
    out.extend_from_slice(id.0.as_bytes());
    for name in [actor.as_str(), unit.as_str()] {
        // Invariant: person and unit codes are at most NAME_BYTES_MAX (< 256) bytes.
        out.push(u8::try_from(name.len()).expect("codes fit a length byte"));
        out.extend_from_slice(name.as_bytes());
    }
    match seen {
        None => out.push(0),
        Some(seen) => {
            out.push(1);
            out.extend_from_slice(seen.0.as_bytes());
        }
    }
    // Invariant: kind names are at most BODY_KIND_BYTES_MAX (< 256) bytes, bodies at most
    // EVENT_BYTES_MAX (< 4 GiB).
    out.push(u8::try_from(kind.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(&u32::try_from(inner.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(inner);
    out
}

/// Signs `draft` (whose body is a version-1 body) as `signer`, turning its body into a signed
/// one. Signing a body that is already signed re-signs its inner bytes.
pub fn sign(mut draft: Draft, signer: &SigningKey) -> Draft {
    let inner = inner_data(&draft.body).map_or_else(Vec::new, <[u8]>::to_vec);
    let signed = message(
        draft.id,
        &draft.actor,
        &draft.unit,
        draft.seen,
        &draft.body.kind,
        &inner,
    );
    let signature = signer.sign(&signed).to_bytes().to_vec();
    let data = SignedData {
        inner,
        key: person_key(signer),
        signature,
    };
    draft.body = Body {
        kind: draft.body.kind,
        version: SIGNED_BODY_VERSION,
        // Invariant: the signed data holds only bytes and a key, which always encode.
        data: rmp_serde::to_vec(&data).expect("signed data always encodes"),
    };
    draft
}

/// What a log learned of an event's personal signature when it stored the event.
///
/// A signature is verified once, when its event is stored (appended or received), and the
/// log keeps the verdict with the record; a replay then reads the key instead of verifying
/// again, which is what keeps a replay of signed events near the speed of a raw scan. A log
/// may always answer [`Verdict::Unchecked`]: the fold then verifies. An audit ignores the
/// verdicts and verifies every signature itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Not verified when stored (or not signed): the fold verifies it.
    Unchecked,
    /// Its signature verified over its content when it was stored.
    Verified,
}

impl Verdict {
    /// The verdict a log keeps for `event` as it stores it.
    pub fn on_arrival(event: &Event) -> Verdict {
        match check(event) {
            Check::Valid(_) => Verdict::Verified,
            Check::Unsigned | Check::Invalid => Verdict::Unchecked,
        }
    }
}

/// [`check`], unless the log already verified the signature when it stored the event: then
/// the key is read without verifying again.
pub fn check_stored(event: &Event, verdict: Verdict) -> Check {
    if verdict == Verdict::Unchecked || event.body.version != SIGNED_BODY_VERSION {
        return check(event);
    }
    match SignedView::of(&event.body.data) {
        Some(signed) => Check::Valid(signed.key),
        // A verified record that no longer decodes was damaged since: verify it as new.
        None => check(event),
    }
}

/// The key `event`'s personal signature names, whether or not the signature holds.
pub fn claimed_key(event: &Event) -> Option<PersonKey> {
    if event.body.version != SIGNED_BODY_VERSION {
        return None;
    }
    SignedView::of(&event.body.data).map(|signed| signed.key)
}

/// Checks `event`'s personal signature over its own content (not whether the key is the
/// actor's: the fold decides that against the registry at the event's position).
pub fn check(event: &Event) -> Check {
    if event.body.version != SIGNED_BODY_VERSION {
        return Check::Unsigned;
    }
    let Some(signed) = SignedView::of(&event.body.data) else {
        return Check::Invalid;
    };
    let Ok(signature) = <[u8; 64]>::try_from(signed.signature) else {
        return Check::Invalid;
    };
    let Ok(key) = VerifyingKey::from_bytes(&signed.key.0) else {
        return Check::Invalid;
    };
    let content = message(
        event.id,
        &event.actor,
        &event.unit,
        event.seen,
        &event.body.kind,
        signed.inner,
    );
    match key.verify_strict(&content, &Signature::from_bytes(&signature)) {
        Ok(()) => Check::Valid(signed.key),
        Err(_) => Check::Invalid,
    }
}

/// A setup code as people type it: letters and digits only, upper case (spaces and dashes
/// are for reading).
pub fn normalize_setup_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The key a setup code stands for. The log holds its public half only.
pub fn setup_key(code: &str) -> SigningKey {
    let seed = blake3::derive_key(SETUP_DERIVE_CONTEXT, normalize_setup_code(code).as_bytes());
    SigningKey::from_bytes(&seed)
}

fn setup_message(person: &PersonId, key: &PersonKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(SETUP_CONTEXT.len() + 1 + person.as_str().len() + 32);
    out.extend_from_slice(SETUP_CONTEXT);
    // Invariant: person codes are at most NAME_BYTES_MAX (< 256) bytes.
    out.push(u8::try_from(person.as_str().len()).expect("codes fit a length byte"));
    out.extend_from_slice(person.as_str().as_bytes());
    out.extend_from_slice(&key.0);
    out
}

/// The proof that whoever publishes `key` for `person` knows the setup code behind `setup`.
pub fn setup_proof(setup: &SigningKey, person: &PersonId, key: &PersonKey) -> [u8; 64] {
    setup.sign(&setup_message(person, key)).to_bytes()
}

/// Checks a proof made by [`setup_proof`] against the setup key's public half.
pub fn verify_setup_proof(
    setup: &PersonKey,
    person: &PersonId,
    key: &PersonKey,
    proof: &[u8],
) -> bool {
    let Ok(proof) = <[u8; 64]>::try_from(proof) else {
        return false;
    };
    let Ok(setup) = VerifyingKey::from_bytes(&setup.0) else {
        return false;
    };
    setup
        .verify_strict(&setup_message(person, key), &Signature::from_bytes(&proof))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{ItemVoted, Known};

    fn draft(approve: bool) -> Draft {
        Draft {
            id: EventId(uuid::Uuid::from_u128(9)),
            actor: PersonId::new("nguyen-tien-thinh").unwrap(),
            unit: UnitId::new("lai-chau/binh-lu").unwrap(),
            seen: Some(EventId(uuid::Uuid::from_u128(3))),
            body: Known::ItemVoted(ItemVoted {
                item: EventId(uuid::Uuid::from_u128(1)),
                transition: "approve".into(),
                from: "submitted".into(),
                approve,
                note: String::new(),
            })
            .to_body(),
        }
    }

    fn event(draft: &Draft) -> Event {
        Event {
            format: crate::event::ENVELOPE_FORMAT,
            id: draft.id,
            origin: crate::ids::NodeId([1; 32]),
            seq: crate::ids::Seq(1),
            prev: crate::ids::Hash::ZERO,
            hlc: crate::hlc::Hlc {
                wall_ms: 1,
                logical: 0,
            },
            actor: draft.actor.clone(),
            unit: draft.unit.clone(),
            seen: draft.seen,
            body: draft.body.clone(),
        }
    }

    #[test]
    fn a_signature_holds_for_its_own_event_only() {
        let signer = SigningKey::from_bytes(&[7; 32]);
        let signed = sign(draft(true), &signer);
        let good = event(&signed);
        assert_eq!(check(&good), Check::Valid(person_key(&signer)));
        assert_eq!(
            Known::from_body(&good.body),
            Known::from_body(&draft(true).body)
        );
        // Moved to another event, another actor, another item version: it no longer holds.
        let mut moved = good.clone();
        moved.id = EventId(uuid::Uuid::from_u128(10));
        assert_eq!(check(&moved), Check::Invalid);
        let mut other_actor = good.clone();
        other_actor.actor = PersonId::new("lo-van-pao").unwrap();
        assert_eq!(check(&other_actor), Check::Invalid);
        let mut other_seen = good.clone();
        other_seen.seen = None;
        assert_eq!(check(&other_seen), Check::Invalid);
        // Its content swapped for another decision's: no longer holds.
        let refused = sign(draft(false), &signer);
        let mut swapped = good;
        swapped.body.data = {
            let mut theirs: SignedData = rmp_serde::from_slice(&refused.body.data).unwrap();
            let ours: SignedData = rmp_serde::from_slice(&signed.body.data).unwrap();
            theirs.signature = ours.signature;
            rmp_serde::to_vec(&theirs).unwrap()
        };
        assert_eq!(check(&swapped), Check::Invalid);
        assert_eq!(check(&event(&draft(true))), Check::Unsigned);
    }

    #[test]
    fn a_setup_proof_needs_the_code() {
        let person = PersonId::new("ta-thi-dung").unwrap();
        let key = PersonKey([5; 32]);
        let setup = setup_key("ABCD-EFGH-JKMN-PQRS");
        let public = person_key(&setup);
        let proof = setup_proof(&setup_key("abcd efgh jkmn pqrs"), &person, &key);
        assert!(verify_setup_proof(&public, &person, &key, &proof));
        let guessed = setup_proof(&setup_key("ABCD-EFGH-JKMN-PQRT"), &person, &key);
        assert!(!verify_setup_proof(&public, &person, &key, &guessed));
        let other = PersonId::new("lo-van-pao").unwrap();
        assert!(!verify_setup_proof(&public, &other, &key, &proof));
    }
}
