//! Accounts: who a person proves to be. A person's signing key is made at setup, sealed under
//! their passphrase and published in the registry (`person.key_added`), so they can log in at
//! every node of their line that holds the event; a login opens the sealed key and keeps it in
//! this process's memory for the session, and every decision they make is signed with it.
//!
//! The passphrase is stored nowhere: what is kept (in the log) is the key sealed with
//! XChaCha20-Poly1305 under a key derived from the passphrase by argon2id (64 MiB, 3 passes,
//! one lane, a random 16-byte salt per seal). A wrong passphrase fails the seal's tag.
//!
//! Sealed key layout (version 1), 105 bytes:
//! `0x01 ‖ memory KiB (u32 BE) ‖ passes (u32 BE) ‖ lanes (u32 BE) ‖ salt (16) ‖ nonce (24) ‖
//! ciphertext of the 32-byte ed25519 secret ‖ tag (16)`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::SigningKey;
use nhip_engine::PersonId;
use zeroize::Zeroizing;

use crate::limits::{
    ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES, LOGIN_FAILURES_FREE, LOGIN_WAIT_MS_MAX,
    PASSPHRASE_BYTES_MAX, PASSPHRASE_CHARS_MIN, SESSION_IDLE_MS, SESSIONS_MAX,
};

const SEALED_VERSION: u8 = 1;
const SALT_BYTES: usize = 16;
const NONCE_BYTES: usize = 24;
const HEADER_BYTES: usize = 1 + 12 + SALT_BYTES + NONCE_BYTES;

/// Who acts: a person, and — once they have an account and proved it — their signing key.
#[derive(Clone)]
pub struct Actor {
    /// The person.
    pub person: PersonId,
    signer: Option<SigningKey>,
}

impl Actor {
    /// A person acting without a signature: for people who have no account yet (a fresh tree,
    /// or an office that has not moved to accounts), and for reading.
    pub fn unsigned(person: PersonId) -> Actor {
        Actor {
            person,
            signer: None,
        }
    }

    /// A person who proved who they are, signing with `signer`.
    pub fn signed(person: PersonId, signer: SigningKey) -> Actor {
        Actor {
            person,
            signer: Some(signer),
        }
    }

    /// Their signing key, when they proved who they are.
    pub fn signer(&self) -> Option<&SigningKey> {
        self.signer.as_ref()
    }
}

/// What a command did to its caller's session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionChange {
    /// A session was opened: its token.
    Opened(String),
    /// The session is over (logged out, or unknown here).
    Ended,
}

/// What a caller brings to prove who they are, for one command: a session token, or a
/// passphrase typed for this command. What the command did to the session comes back in
/// [`Credentials::change`].
#[derive(Default)]
pub struct Credentials {
    /// The caller's session token at this node, if they hold one.
    pub session: Option<String>,
    /// A passphrase typed for this command.
    pub passphrase: Option<Zeroizing<String>>,
    change: Mutex<Option<SessionChange>>,
}

impl Credentials {
    /// Credentials of a session token and/or a passphrase.
    pub fn new(session: Option<String>, passphrase: Option<Zeroizing<String>>) -> Credentials {
        Credentials {
            session,
            passphrase,
            change: Mutex::default(),
        }
    }

    /// Records what the command did to the caller's session.
    pub fn set_change(&self, change: SessionChange) {
        *self
            .change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(change);
    }

    /// What the command did to the caller's session.
    pub fn change(&self) -> Option<SessionChange> {
        self.change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Why a passphrase, a sealed key or a login was not accepted.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum AccountError {
    /// Shorter than [`PASSPHRASE_CHARS_MIN`] characters.
    #[error("the passphrase is too short")]
    TooShort,
    /// Longer than [`PASSPHRASE_BYTES_MAX`] bytes.
    #[error("the passphrase is too long")]
    TooLong,
    /// Not UTF-8 text.
    #[error("the passphrase is not text")]
    NotText,
    /// The passphrase does not open the key (or the person has no account).
    #[error("wrong passphrase")]
    Wrong,
    /// Too many wrong passphrases: wait this long.
    #[error("too many wrong passphrases; wait {0} s")]
    Wait(u64),
    /// The sealed key is not one this version reads.
    #[error("the sealed key is damaged")]
    Damaged,
    /// The session is unknown here or ended.
    #[error("no session")]
    NoSession,
    /// The system's random source failed.
    #[error("no randomness: {0}")]
    Random(String),
}

/// Checks a passphrase as typed (bytes from a terminal, a file or a form).
pub fn passphrase(bytes: Vec<u8>) -> Result<Zeroizing<String>, AccountError> {
    if bytes.len() > PASSPHRASE_BYTES_MAX {
        return Err(AccountError::TooLong);
    }
    let text = Zeroizing::new(String::from_utf8(bytes).map_err(|_| AccountError::NotText)?);
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.chars().count() < PASSPHRASE_CHARS_MIN {
        return Err(AccountError::TooShort);
    }
    Ok(Zeroizing::new(trimmed.to_owned()))
}

fn random<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| AccountError::Random(error.to_string()))?;
    Ok(bytes)
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    memory_kib: u32,
    passes: u32,
    lanes: u32,
) -> Result<Zeroizing<[u8; 32]>, AccountError> {
    let params =
        Params::new(memory_kib, passes, lanes, Some(32)).map_err(|_| AccountError::Damaged)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|_| AccountError::Damaged)?;
    Ok(key)
}

/// One argon2id derivation with the parameters of a seal (for the benchmark's ceiling).
pub fn derive_only(passphrase: &str) -> Result<(), AccountError> {
    derive(
        passphrase,
        &[0; SALT_BYTES],
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        ARGON2_LANES,
    )
    .map(drop)
}

/// Makes a new signing key.
pub fn new_key() -> Result<SigningKey, AccountError> {
    Ok(SigningKey::from_bytes(&Zeroizing::new(random::<32>()?)))
}

/// Seals `key` under `passphrase` (the layout in the module documentation).
pub fn seal(key: &SigningKey, passphrase: &str) -> Result<Vec<u8>, AccountError> {
    let salt = random::<SALT_BYTES>()?;
    let nonce = random::<NONCE_BYTES>()?;
    let derived = derive(
        passphrase,
        &salt,
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        ARGON2_LANES,
    )?;
    let cipher = XChaCha20Poly1305::new(derived.as_ref().into());
    let secret = Zeroizing::new(key.to_bytes());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), secret.as_ref())
        .map_err(|_| AccountError::Damaged)?;
    let mut sealed = Vec::with_capacity(HEADER_BYTES + ciphertext.len());
    sealed.push(SEALED_VERSION);
    for value in [ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES] {
        sealed.extend_from_slice(&value.to_be_bytes());
    }
    sealed.extend_from_slice(&salt);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Opens a sealed key with `passphrase`.
pub fn open(sealed: &[u8], passphrase: &str) -> Result<SigningKey, AccountError> {
    let (header, ciphertext) = sealed
        .split_at_checked(HEADER_BYTES)
        .ok_or(AccountError::Damaged)?;
    let [version, rest @ ..] = header else {
        return Err(AccountError::Damaged);
    };
    if *version != SEALED_VERSION {
        return Err(AccountError::Damaged);
    }
    let number = |at: usize| -> Result<u32, AccountError> {
        let bytes = rest.get(at..at + 4).ok_or(AccountError::Damaged)?;
        Ok(u32::from_be_bytes(
            bytes.try_into().map_err(|_| AccountError::Damaged)?,
        ))
    };
    let (memory_kib, passes, lanes) = (number(0)?, number(4)?, number(8)?);
    // A sealed key from the log is untrusted input: refuse costs no honest seal has.
    if memory_kib > 4 * ARGON2_MEMORY_KIB || passes > 4 * ARGON2_PASSES || lanes > 16 {
        return Err(AccountError::Damaged);
    }
    let salt = rest.get(12..12 + SALT_BYTES).ok_or(AccountError::Damaged)?;
    let nonce = rest
        .get(12 + SALT_BYTES..12 + SALT_BYTES + NONCE_BYTES)
        .ok_or(AccountError::Damaged)?;
    let derived = derive(passphrase, salt, memory_kib, passes, lanes)?;
    let cipher = XChaCha20Poly1305::new(derived.as_ref().into());
    let secret = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| AccountError::Wrong)?,
    );
    let secret: [u8; 32] = secret
        .as_slice()
        .try_into()
        .map_err(|_| AccountError::Damaged)?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The letters of setup codes: Crockford's base 32 (no I, L, O, U: nothing to misread).
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new one-time setup code, `XXXX-XXXX-XXXX-XXXX` (80 random bits).
pub fn new_setup_code() -> Result<String, AccountError> {
    let bytes = random::<16>()?;
    let letters: Vec<char> = bytes
        .iter()
        .map(|byte| char::from(CODE_ALPHABET[usize::from(byte % 32)]))
        .collect();
    Ok(letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The sessions of one running node, in its memory only: a restart ends them all.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    open: BTreeMap<String, Session>,
    failures: BTreeMap<PersonId, Failures>,
}

struct Session {
    person: PersonId,
    signer: SigningKey,
    last_used_ms: u64,
}

#[derive(Default)]
struct Failures {
    count: u32,
    wait_until_ms: u64,
}

impl Sessions {
    /// Logs `person` in with `passphrase` against their sealed key, at `now_ms`: a new
    /// session's token. Wrong passphrases are counted per person and slow that person's next
    /// tries; nobody else waits.
    pub fn login(
        &self,
        person: &PersonId,
        sealed: Option<&[u8]>,
        passphrase: &str,
        now_ms: u64,
    ) -> Result<String, AccountError> {
        let signer = self.prove(person, sealed, passphrase, now_ms)?;
        self.open_session(person, signer, now_ms)
    }

    /// Opens `person`'s sealed key with `passphrase` for one command, counting a wrong
    /// passphrase as [`Sessions::login`] does.
    pub fn prove(
        &self,
        person: &PersonId,
        sealed: Option<&[u8]>,
        passphrase: &str,
        now_ms: u64,
    ) -> Result<SigningKey, AccountError> {
        self.may_try(person, now_ms)?;
        // The expensive part runs without the lock: others log in meanwhile.
        let opened = match sealed {
            Some(sealed) => open(sealed, passphrase),
            None => Err(AccountError::Wrong),
        };
        match opened {
            Ok(signer) => {
                self.lock().failures.remove(person);
                Ok(signer)
            }
            Err(error) => {
                self.failed(person, now_ms);
                Err(error)
            }
        }
    }

    /// Opens a session for a person who just proved who they are some other way (setting up
    /// their account).
    pub fn open_session(
        &self,
        person: &PersonId,
        signer: SigningKey,
        now_ms: u64,
    ) -> Result<String, AccountError> {
        let token = hex(&random::<32>()?);
        let mut inner = self.lock();
        inner.failures.remove(person);
        inner
            .open
            .retain(|_, session| now_ms.saturating_sub(session.last_used_ms) <= SESSION_IDLE_MS);
        if inner.open.len() >= SESSIONS_MAX {
            // The least recently used session makes room.
            if let Some(oldest) = inner
                .open
                .iter()
                .min_by_key(|(_, session)| session.last_used_ms)
                .map(|(token, _)| token.clone())
            {
                inner.open.remove(&oldest);
            }
        }
        inner.open.insert(
            token.clone(),
            Session {
                person: person.clone(),
                signer,
                last_used_ms: now_ms,
            },
        );
        Ok(token)
    }

    /// The person of session `token` at `now_ms`, signing, if it is open (using it keeps it
    /// open).
    pub fn actor(&self, token: &str, now_ms: u64) -> Result<Actor, AccountError> {
        let mut inner = self.lock();
        let Some(session) = inner.open.get_mut(token) else {
            return Err(AccountError::NoSession);
        };
        if now_ms.saturating_sub(session.last_used_ms) > SESSION_IDLE_MS {
            inner.open.remove(token);
            return Err(AccountError::NoSession);
        }
        session.last_used_ms = now_ms;
        Ok(Actor::signed(
            session.person.clone(),
            session.signer.clone(),
        ))
    }

    /// Ends session `token`; whether it was open.
    pub fn logout(&self, token: &str) -> bool {
        self.lock().open.remove(token).is_some()
    }

    /// Ends every session of `person` (their key was revoked or replaced).
    pub fn end_all(&self, person: &PersonId) {
        self.lock()
            .open
            .retain(|_, session| &session.person != person);
    }

    fn may_try(&self, person: &PersonId, now_ms: u64) -> Result<(), AccountError> {
        let inner = self.lock();
        match inner.failures.get(person) {
            Some(failures) if failures.wait_until_ms > now_ms => Err(AccountError::Wait(
                (failures.wait_until_ms - now_ms).div_ceil(1000),
            )),
            _ => Ok(()),
        }
    }

    fn failed(&self, person: &PersonId, now_ms: u64) {
        let mut inner = self.lock();
        let failures = inner.failures.entry(person.clone()).or_default();
        failures.count = failures.count.saturating_add(1);
        if let Some(over) = failures.count.checked_sub(LOGIN_FAILURES_FREE) {
            let wait_ms = 1000u64
                .saturating_mul(1u64 << over.min(20))
                .min(LOGIN_WAIT_MS_MAX);
            failures.wait_until_ms = now_ms.saturating_add(wait_ms);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_passphrase_only() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let sealed = seal(&key, "trâu về chuồng lúc chiều").unwrap();
        assert_eq!(sealed.len(), HEADER_BYTES + 32 + 16);
        assert!(sealed.len() <= nhip_engine::limits::SEALED_KEY_BYTES_MAX);
        assert_eq!(
            open(&sealed, "trâu về chuồng lúc chiều")
                .unwrap()
                .to_bytes(),
            key.to_bytes()
        );
        assert_eq!(
            open(&sealed, "trâu về chuồng lúc sáng").err(),
            Some(AccountError::Wrong)
        );
        // Damage of any kind is an error, never a panic.
        for cut in 0..sealed.len() {
            assert!(open(&sealed[..cut], "trâu về chuồng lúc chiều").is_err());
        }
        let mut costly = sealed.clone();
        costly[1] = 0xff;
        assert_eq!(
            open(&costly, "trâu về chuồng lúc chiều").err(),
            Some(AccountError::Damaged)
        );
    }

    #[test]
    fn passphrases_are_checked_as_typed() {
        assert_eq!(
            passphrase(b"short\n".to_vec()).err(),
            Some(AccountError::TooShort)
        );
        assert_eq!(
            passphrase(vec![b'a'; 1024 * 1024]).err(),
            Some(AccountError::TooLong)
        );
        assert_eq!(
            passphrase(vec![
                0xff, 0xfe, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i'
            ])
            .err(),
            Some(AccountError::NotText)
        );
        assert_eq!(
            passphrase(b"mua xuan tren ban\r\n".to_vec())
                .unwrap()
                .as_str(),
            "mua xuan tren ban"
        );
    }

    #[test]
    fn wrong_passphrases_slow_that_person_and_no_one_else() {
        let sessions = Sessions::default();
        let key = SigningKey::from_bytes(&[4; 32]);
        let sealed = seal(&key, "một câu dài để nhớ").unwrap();
        let thinh = PersonId::new("nguyen-tien-thinh").unwrap();
        let dung = PersonId::new("ta-thi-dung").unwrap();
        let mut waited = 0;
        for attempt in 0..1000 {
            match sessions.login(&thinh, Some(&sealed), "đoán sai mãi thôi", 1_000 + attempt) {
                Err(AccountError::Wrong) => {}
                Err(AccountError::Wait(_)) => waited += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(
            waited >= 990,
            "only the first tries cost a key derivation: {waited}"
        );
        // The right passphrase waits its turn too, then works.
        assert!(matches!(
            sessions.login(&thinh, Some(&sealed), "một câu dài để nhớ", 2_000),
            Err(AccountError::Wait(_))
        ));
        let later = 2_000 + LOGIN_WAIT_MS_MAX + 1;
        let token = sessions
            .login(&thinh, Some(&sealed), "một câu dài để nhớ", later)
            .unwrap();
        assert_eq!(sessions.actor(&token, later).unwrap().person, thinh);
        // Someone else was never held back.
        let other = seal(&key, "của người khác hẳn").unwrap();
        assert!(
            sessions
                .login(&dung, Some(&other), "của người khác hẳn", 2_000)
                .is_ok()
        );
        // Idle too long: the session is over.
        assert_eq!(
            sessions.actor(&token, later + SESSION_IDLE_MS + 1).err(),
            Some(AccountError::NoSession)
        );
        assert!(!sessions.logout(&token));
    }

    #[test]
    fn setup_codes_are_readable_and_differ() {
        let first = new_setup_code().unwrap();
        assert_eq!(first.len(), 19);
        assert!(
            first
                .chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_ne!(first, new_setup_code().unwrap());
    }
}
