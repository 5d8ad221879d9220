//! Setting up accounts at a node: an administrator issues a one-time setup code; the person
//! uses it once, with a passphrase they choose, to publish a new signing key (sealed under the
//! passphrase) in the registry; an administrator revokes a key that was lost or leaked. The
//! operations return typed results; the command and the app put them in words.

use ed25519_dalek::SigningKey;
use nhip_engine::command::Command;
use nhip_engine::signature::{person_key, setup_key, setup_proof};
use nhip_engine::{PersonId, PersonKey};

use crate::account::{self, AccountError, Actor};
use crate::home::{Home, HomeError};

/// Why an account operation did not happen. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The setup code is not one issued for this person, or it is used or expired.
    #[error("the setup code is wrong, used or expired")]
    CodeInvalid,
    /// The person has no account.
    #[error("no account")]
    NoAccount,
    /// A passphrase or key problem.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The node refused or failed.
    #[error(transparent)]
    Home(#[from] HomeError),
}

/// Issues `person` a one-time setup code valid until `expires_ms`, as `actor` (an
/// administrator). Returns the code, which appears nowhere else: the log keeps only the public
/// half of the key derived from it.
pub fn issue_code(
    home: &Home,
    actor: &Actor,
    person: &PersonId,
    expires_ms: u64,
) -> Result<String, SetupError> {
    let code = account::new_setup_code()?;
    home.act(
        actor,
        Command::IssueSetup {
            person: person.clone(),
            setup: person_key(&setup_key(&code)),
            expires_ms,
            unit: home.config.unit.clone(),
        },
    )?;
    Ok(code)
}

/// First use of a setup code at `now`: a new key for `person`, sealed under `passphrase` and
/// published with the code's proof, written as the person and signed by the new key. Earlier
/// sessions of the person end. Returns the new key.
pub fn set_up(
    home: &Home,
    person: &PersonId,
    code: &str,
    passphrase: &str,
    now: u64,
) -> Result<SigningKey, SetupError> {
    let setup = setup_key(code);
    let setup_public = person_key(&setup);
    let usable = home
        .state()?
        .registry
        .setups
        .get(&setup_public)
        .is_some_and(|found| &found.person == person && !found.used && now <= found.expires_ms);
    if !usable {
        return Err(SetupError::CodeInvalid);
    }
    let key = account::new_key()?;
    let public = person_key(&key);
    let sealed = account::seal(&key, passphrase)?;
    let proof = setup_proof(&setup, person, &public).to_vec();
    home.act(
        &Actor::signed(person.clone(), key.clone()),
        Command::AddKey {
            key: public,
            setup: setup_public,
            proof,
            sealed,
            unit: home.config.unit.clone(),
        },
    )?;
    home.sessions.end_all(person);
    Ok(key)
}

/// Revokes `person`'s current key, as `actor` (an administrator); their sessions end.
pub fn revoke(home: &Home, actor: &Actor, person: &PersonId) -> Result<PersonKey, SetupError> {
    let key = home
        .state()?
        .registry
        .key_of(person)
        .ok_or(SetupError::NoAccount)?;
    home.act(
        actor,
        Command::RevokeKey {
            person: person.clone(),
            key,
            unit: home.config.unit.clone(),
        },
    )?;
    home.sessions.end_all(person);
    Ok(key)
}
