//! `nhip login`, `nhip logout`, `nhip person setup-code|revoke-key`, and the one decision of
//! who acts for a command: the caller's session, else the person named (`--as`, or the node's
//! default person) — signing when the caller typed their passphrase, unsigned otherwise (which
//! the engine refuses once that person has an account).

use clap::Args;
use nhip_engine::signature::person_key;
use nhip_engine::{Date, PersonId};

use super::output::{ExitCode, Failure, Outcome, fail, home_failure};
use super::{Reach, args};
use crate::account::{self, AccountError, Actor, Credentials, SessionChange};
use crate::home::Home;
use crate::limits::{PASSPHRASE_BYTES_MAX, PASSPHRASE_CHARS_MIN, SESSION_IDLE_MS};
use crate::setup::{self, SetupError};
use crate::texts::Texts;
use crate::transport::now_ms;

/// `nhip login`.
#[derive(Args)]
pub(crate) struct LoginArgs {
    /// Mã cán bộ (person code).
    pub(crate) person: String,
    /// Lần đầu: mã thiết lập quản trị cấp (first use: the setup code an administrator issued).
    #[arg(long)]
    pub(crate) setup_code: Option<String>,
}

/// Words for a passphrase that is not one.
pub(crate) fn passphrase_failure(texts: Texts, error: AccountError) -> Failure {
    let message = match error {
        AccountError::TooShort => texts.passphrase_too_short(PASSPHRASE_CHARS_MIN),
        AccountError::TooLong => texts.passphrase_too_long(PASSPHRASE_BYTES_MAX),
        AccountError::NotText => texts.passphrase_not_text(),
        other => other.to_string(),
    };
    fail(ExitCode::Usage, message)
}

/// Words for an account failure.
pub(crate) fn account_failure(texts: Texts, person: &PersonId, error: AccountError) -> Failure {
    let message = match error {
        AccountError::TooShort | AccountError::TooLong | AccountError::NotText => {
            return passphrase_failure(texts, error);
        }
        AccountError::Wrong => texts.wrong_passphrase(),
        AccountError::Wait(seconds) => texts.login_wait(seconds),
        AccountError::Damaged => texts.sealed_key_damaged(person.as_str()),
        AccountError::NoSession => texts.session_ended(),
        AccountError::Random(error) => error,
    };
    fail(ExitCode::Refused, message)
}

/// Who acts for a command that writes as a person.
pub(crate) fn actor(
    home: &Home,
    texts: Texts,
    named: Option<&str>,
    credentials: &Credentials,
) -> Result<Actor, Failure> {
    let now = now_ms();
    let named = named.map(|text| args::person(texts, text)).transpose()?;
    if let Some(token) = &credentials.session {
        match home.sessions.actor(token, now) {
            Ok(actor) if named.as_ref().is_none_or(|person| *person == actor.person) => {
                return Ok(actor);
            }
            // Someone else is named: they act, with their own proof or none.
            Ok(_) => {}
            Err(_) if named.is_none() => {
                credentials.set_change(SessionChange::Ended);
                return Err(fail(ExitCode::Refused, texts.session_ended()));
            }
            Err(_) => {}
        }
    }
    let person = named.unwrap_or_else(|| home.config.person.clone());
    let Some(passphrase) = &credentials.passphrase else {
        return Ok(Actor::unsigned(person));
    };
    let state = home.state().map_err(|error| home_failure(texts, error))?;
    let Some(account) = state.registry.accounts.get(&person) else {
        return Err(fail(ExitCode::Refused, texts.no_account(person.as_str())));
    };
    let signer = home
        .sessions
        .prove(&person, Some(&account.sealed), passphrase, now)
        .map_err(|error| account_failure(texts, &person, error))?;
    Ok(Actor::signed(person, signer))
}

fn name_of(home: &Home, person: &PersonId) -> String {
    home.state()
        .ok()
        .and_then(|state| state.registry.people.get(person).map(|p| p.name.clone()))
        .unwrap_or_else(|| person.to_string())
}

/// `nhip login PERSON [--setup-code CODE]`.
pub(super) fn login(
    reach: &Reach,
    texts: Texts,
    args: LoginArgs,
    credentials: &Credentials,
) -> Outcome {
    let person = args::person(texts, &args.person)?;
    let Some(passphrase) = &credentials.passphrase else {
        return Err(fail(ExitCode::Usage, texts.passphrase_missing()));
    };
    // The node checks what it is given, whoever the caller.
    let passphrase = account::passphrase(passphrase.as_bytes().to_vec())
        .map_err(|error| passphrase_failure(texts, error))?;
    if args.setup_code.is_none() && !reach.running() {
        return Err(fail(ExitCode::NoNode, texts.login_needs_node()));
    }
    let home = reach.open(texts)?;
    let now = now_ms();
    let signer = match &args.setup_code {
        Some(code) => set_up(&home, texts, &person, code, &passphrase, now)?,
        None => {
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            let Some(account) = state.registry.accounts.get(&person) else {
                return Err(fail(ExitCode::Refused, texts.no_account(person.as_str())));
            };
            home.sessions
                .prove(&person, Some(&account.sealed), &passphrase, now)
                .map_err(|error| account_failure(texts, &person, error))?
        }
    };
    if !reach.running() {
        say!("{}", texts.account_ready_no_session());
        return Ok(());
    }
    let token = home
        .sessions
        .open_session(&person, signer, now)
        .map_err(|error| account_failure(texts, &person, error))?;
    credentials.set_change(SessionChange::Opened(token));
    say!(
        "{}",
        texts.logged_in(
            &name_of(&home, &person),
            person.as_str(),
            SESSION_IDLE_MS / 60_000
        )
    );
    Ok(())
}

/// Words for a failed account operation.
fn setup_failure(texts: Texts, person: &PersonId, error: SetupError) -> Failure {
    match error {
        SetupError::CodeInvalid => {
            fail(ExitCode::Refused, texts.setup_code_invalid(person.as_str()))
        }
        SetupError::NoAccount => fail(ExitCode::Refused, texts.no_account(person.as_str())),
        SetupError::Account(error) => account_failure(texts, person, error),
        SetupError::Home(error) => home_failure(texts, error),
    }
}

/// First use: the account set up, said.
fn set_up(
    home: &Home,
    texts: Texts,
    person: &PersonId,
    code: &str,
    passphrase: &str,
    now: u64,
) -> Result<ed25519_dalek::SigningKey, Failure> {
    let key = setup::set_up(home, person, code, passphrase, now)
        .map_err(|error| setup_failure(texts, person, error))?;
    say!(
        "{}",
        texts.account_ready(
            &name_of(home, person),
            person.as_str(),
            &person_key(&key).short()
        )
    );
    Ok(key)
}

/// `nhip logout`.
pub(super) fn logout(reach: &Reach, texts: Texts, credentials: &Credentials) -> Outcome {
    let was_open = match (&credentials.session, reach) {
        (Some(token), Reach::Running(home)) => home.sessions.logout(token),
        _ => false,
    };
    credentials.set_change(SessionChange::Ended);
    if was_open {
        say!("{}", texts.logged_out());
    } else {
        say!("{}", texts.not_logged_in());
    }
    Ok(())
}

/// `nhip person setup-code PERSON`: a one-time code, printed once; the log keeps only its
/// public key.
pub(super) fn issue_setup_code(
    home: &Home,
    texts: Texts,
    actor: &Actor,
    person: &str,
    days: u64,
) -> Outcome {
    let person = args::person(texts, person)?;
    let expires_ms = now_ms().saturating_add(days.saturating_mul(24 * 60 * 60 * 1000));
    let code = setup::issue_code(home, actor, &person, expires_ms)
        .map_err(|error| setup_failure(texts, &person, error))?;
    say!(
        "{}",
        texts.setup_code_issued(
            &name_of(home, &person),
            person.as_str(),
            &code,
            &texts.date(Date::from_unix_ms(expires_ms))
        )
    );
    Ok(())
}

/// `nhip person revoke-key PERSON`.
pub(super) fn revoke_key(home: &Home, texts: Texts, actor: &Actor, person: &str) -> Outcome {
    let person = args::person(texts, person)?;
    let key = setup::revoke(home, actor, &person)
        .map_err(|error| setup_failure(texts, &person, error))?;
    say!("{}", texts.key_revoked(person.as_str(), &key.short()));
    Ok(())
}
