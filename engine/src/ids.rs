//! Identifier newtypes: the names the rest of the engine uses for nodes, events, sequence
//! numbers, hashes, units and people. Fixed-size ids encode as MessagePack `bin`, not as arrays
//! of integers, so that an event stays compact on disk and on the wire.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::NAME_BYTES_MAX;

/// Implements `Serialize`/`Deserialize` for a newtype over `[u8; N]` as a MessagePack `bin`.
macro_rules! fixed_bytes_serde {
    ($name:ident, $len:expr) => {
        // Binary formats (MessagePack: events, the wire, the state hash) get the raw bytes;
        // human-readable ones (JSON for people and tools) get hex.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.serialize_str(&hex(&self.0))
                } else {
                    serializer.serialize_bytes(&self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FixedVisitor;
                impl<'de> Visitor<'de> for FixedVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "{} bytes", $len)
                    }
                    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<$name, E> {
                        let bytes: [u8; $len] = v
                            .try_into()
                            .map_err(|_| E::invalid_length(v.len(), &self))?;
                        Ok($name(bytes))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        parse_hex::<$len>(v)
                            .map($name)
                            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
                    }
                }
                if deserializer.is_human_readable() {
                    deserializer.deserialize_str(FixedVisitor)
                } else {
                    deserializer.deserialize_bytes(FixedVisitor)
                }
            }
        }
    };
}

/// A node's identity: its ed25519 public key. It is also the `origin` of every event the node
/// writes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub [u8; 32]);
fixed_bytes_serde!(NodeId, 32);

impl NodeId {
    /// The first eight hex digits: enough for people to tell nodes apart in a listing.
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }

    /// The full key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<NodeId> {
        parse_hex::<32>(text).map(NodeId)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A person's signing key: the ed25519 public key of a person (not of a node), published in
/// the registry by `person.key_added`. It proves which person decided, where a [`NodeId`]
/// proves which machine wrote.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonKey(pub [u8; 32]);
fixed_bytes_serde!(PersonKey, 32);

impl PersonKey {
    /// The first eight hex digits, as people see a key ("khóa 3fa2c0d1").
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }

    /// The full key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<PersonKey> {
        parse_hex::<32>(text).map(PersonKey)
    }
}

impl fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonKey({})", self.short())
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A blake3 digest: the hash of an event's canonical bytes, or of a state.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);
fixed_bytes_serde!(Hash, 32);

impl Hash {
    /// The hash that stands before the first event of every chain.
    pub const ZERO: Hash = Hash([0; 32]);

    /// Hashes `bytes` with blake3.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(*blake3::hash(bytes).as_bytes())
    }

    /// The full digest as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Hash> {
        parse_hex::<32>(text).map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", hex(&self.0[..6]))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An event's globally unique id, a UUID v7 chosen by the writing node (the engine never makes
/// one: ids come in as arguments, so the engine stays deterministic).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub uuid::Uuid);

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", self.0)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A position in one origin's chain: gapless, starting at 1.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
pub struct Seq(pub u64);

impl Seq {
    /// The first sequence number of every chain.
    pub const FIRST: Seq = Seq(1);

    /// The sequence number after this one.
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a name (unit or person code) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than the limit.
    #[error("the name is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name holds a character outside `a-z 0-9 - . _` (and `/` between unit segments).
    #[error(
        "the name holds {0:?}; only a-z, 0-9, '-', '.', '_' (and '/' in unit paths) are allowed"
    )]
    BadCharacter(char),
    /// A unit path has an empty segment (a leading, trailing or doubled `/`).
    #[error("the unit path has an empty segment")]
    EmptySegment,
}

fn check_name(text: &str) -> Result<(), NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text.len() > NAME_BYTES_MAX {
        return Err(NameError::TooLong {
            len: text.len(),
            max: NAME_BYTES_MAX,
        });
    }
    match text
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '/'))
    {
        Some(c) => Err(NameError::BadCharacter(c)),
        None => Ok(()),
    }
}

fn check_unit(text: &str) -> Result<(), NameError> {
    check_name(text)?;
    if text.split('/').any(str::is_empty) {
        return Err(NameError::EmptySegment);
    }
    Ok(())
}

fn check_person(text: &str) -> Result<(), NameError> {
    check_name(text)?;
    match text.find('/') {
        Some(_) => Err(NameError::BadCharacter('/')),
        None => Ok(()),
    }
}

macro_rules! name_newtype {
    ($(#[$doc:meta])* $name:ident, $check:ident) => {
        $(#[$doc])*
        // Decoding checks the code like `new` does: a peer cannot smuggle in a name that
        // breaks storage keys or scope.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(code: String) -> Result<$name, NameError> {
                $check(&code)?;
                Ok($name(code))
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl $name {
            /// Checks and wraps a code such as `xa-binh-lu`.
            pub fn new(code: &str) -> Result<$name, NameError> {
                $check(code)?;
                Ok($name(code.to_owned()))
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_newtype!(
    /// An org unit's code: its path in the unit tree, parent first
    /// (`xa-binh-lu`, `xa-binh-lu/ban-na-ri`). A unit's place in the tree is part of its name,
    /// so scope ("is this unit under that one?") needs no registry lookup.
    UnitId,
    check_unit
);

impl UnitId {
    /// Whether this unit is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &UnitId) -> bool {
        match self.0.strip_prefix(ancestor.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    /// Whether one of the two units lies within the other (they are on one line of descent).
    pub fn is_in_line_with(&self, other: &UnitId) -> bool {
        self.is_within(other) || other.is_within(self)
    }

    /// The parent unit, if this is not a root.
    pub fn parent(&self) -> Option<UnitId> {
        self.0
            .rsplit_once('/')
            .map(|(parent, _)| UnitId(parent.to_owned()))
    }
}

/// One chain of events: the events an origin wrote about one unit. Sequence numbers, `prev`
/// links and seals are per chain, so that a parent can send a child exactly the chains that
/// concern it and never a sibling's, with every chain it sends complete.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct ChainId {
    /// The writing node.
    pub origin: NodeId,
    /// The unit the events concern.
    pub unit: UnitId,
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.origin.short(), self.unit)
    }
}
name_newtype!(
    /// A person's code (`ta-thi-dung`).
    PersonId,
    check_person
);

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (index, pair) in text.chunks_exact(2).enumerate() {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        out[index] = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(UnitId::new("xa-binh-lu/ban-na-ri").is_ok());
        assert_eq!(UnitId::new(""), Err(NameError::Empty));
        assert_eq!(UnitId::new("Xa"), Err(NameError::BadCharacter('X')));
        assert!(matches!(
            PersonId::new(&"a".repeat(NAME_BYTES_MAX + 1)),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn unit_paths_know_their_line() {
        let commune = UnitId::new("xa-binh-lu").unwrap();
        let village = UnitId::new("xa-binh-lu/ban-na-ri").unwrap();
        let sibling = UnitId::new("xa-binh-lu/ban-phin").unwrap();
        let lookalike = UnitId::new("xa-binh-lu-2").unwrap();
        assert!(village.is_within(&commune));
        assert!(commune.is_within(&commune));
        assert!(!commune.is_within(&village));
        assert!(!sibling.is_within(&village));
        assert!(!village.is_in_line_with(&sibling));
        assert!(!lookalike.is_within(&commune), "a prefix is not a parent");
        assert_eq!(village.parent(), Some(commune.clone()));
        assert_eq!(commune.parent(), None);
        assert_eq!(UnitId::new("a//b"), Err(NameError::EmptySegment));
        assert_eq!(UnitId::new("a/"), Err(NameError::EmptySegment));
        assert_eq!(PersonId::new("a/b"), Err(NameError::BadCharacter('/')));
    }

    #[test]
    fn decoding_checks_names() {
        let bad = rmp_serde::to_vec("xa//ban").unwrap();
        assert!(rmp_serde::from_slice::<UnitId>(&bad).is_err());
        let good = rmp_serde::to_vec(&UnitId::new("xa/ban").unwrap()).unwrap();
        assert_eq!(
            rmp_serde::from_slice::<UnitId>(&good).unwrap().as_str(),
            "xa/ban"
        );
    }

    #[test]
    fn hex_round_trips() {
        let node = NodeId([0xab; 32]);
        assert_eq!(NodeId::from_hex(&node.to_hex()), Some(node));
        assert_eq!(NodeId::from_hex("zz"), None);
        assert_eq!(node.short(), "abababab");
    }

    #[test]
    fn fixed_ids_encode_as_bin() {
        let bytes = rmp_serde::to_vec(&Hash([7; 32])).unwrap();
        // bin8 marker, length, then the raw bytes: 34 bytes, not an array of 32 integers.
        assert_eq!(bytes.len(), 34);
        assert_eq!(bytes[0], 0xc4);
        let back: Hash = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, Hash([7; 32]));
        let short = rmp_serde::to_vec(&serde_bytes::Bytes::new(&[1, 2])).unwrap();
        assert!(rmp_serde::from_slice::<Hash>(&short).is_err());
    }
}
