//! Words, who is logged in, logging in (with a setup code the first time) and out.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `GET /app/words?lang=`: every word of the pages, in one language.
pub(super) async fn words(headers: HeaderMap, Query(query): Query<LangQuery>) -> Response {
    let texts = texts_for(&headers, query.lang.as_deref());
    Json(app_words(texts.0)).into_response()
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// Who is logged in.
#[derive(Serialize)]
pub(super) struct Me {
    person: PersonRef,
    /// Signs what they decide (else: no account exists here yet, and the node's own person
    /// acts, unsigned).
    signed: bool,
    /// The CSRF token every write carries.
    csrf: String,
    /// This node's unit.
    node_unit: UnitRef,
    /// Whether the node has children (then it shows the overview of its units).
    hub: bool,
    /// Minutes of idleness that end a session.
    idle_minutes: u64,
}

/// `GET /app/me`: who the page speaks to, or 401 (the page then shows the login form).
pub(super) async fn me(Shared(app): Shared<App>, caller: Option<Extension<Caller>>) -> Answer<Me> {
    let Some(Extension(Caller::Person { actor, session })) = caller else {
        return Err(Said(StatusCode::UNAUTHORIZED, "login required".into()));
    };
    let home = app.home.clone();
    let state = blocking(move || state_of(&home)).await?;
    let unit = &app.home.config.unit;
    Ok(Json(Me {
        person: views::person(&state, &actor.person),
        signed: actor.signer().is_some(),
        csrf: app.gate.csrf(session.as_deref().unwrap_or_default()),
        node_unit: views::unit(&state, unit),
        hub: state
            .registry
            .units
            .keys()
            .any(|known| known != unit && known.is_within(unit)),
        idle_minutes: SESSION_IDLE_MS / 60_000,
    }))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    /// A person's code or full name (with or without diacritics).
    person: String,
    passphrase: String,
    /// First use: the setup code an administrator issued.
    #[serde(default)]
    setup_code: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The person a login form names: by code, or by a name only one person has.
fn find_person(state: &State, given: &str) -> Option<PersonId> {
    text_search::find_named(
        &state.registry.people,
        PersonId::new(given.trim()).ok(),
        given,
        |person| &person.name,
    )
}

/// `POST /app/login`: opens a session (setting up the account first with a setup code) and
/// sets its cookie.
pub(super) async fn login(
    Shared(app): Shared<App>,
    headers: HeaderMap,
    Json(form): Json<LoginForm>,
) -> Response {
    let texts = texts_for(&headers, form.lang.as_deref());
    let home = app.home.clone();
    let name = session_cookie(&home);
    let opened = blocking(move || {
        let passphrase = crate::account::passphrase(form.passphrase.into_bytes())
            .map_err(|error| Said(StatusCode::BAD_REQUEST, account_words(texts, error)))?;
        let state = state_of(&home)?;
        let Some(person) = find_person(&state, &form.person) else {
            return Err(Said(StatusCode::UNAUTHORIZED, texts.login_unknown_person()));
        };
        let now = now_ms();
        let signer = match form.setup_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => {
                crate::setup::set_up(&home, &person, code, &passphrase, now).map_err(|error| {
                    let words = match error {
                        crate::setup::SetupError::CodeInvalid => {
                            texts.setup_code_invalid(person.as_str())
                        }
                        crate::setup::SetupError::NoAccount => texts.no_account(person.as_str()),
                        crate::setup::SetupError::Account(error) => account_words(texts, error),
                        crate::setup::SetupError::Home(error) => error.to_string(),
                    };
                    Said(StatusCode::UNAUTHORIZED, words)
                })?
            }
            _ => {
                let Some(account) = state.registry.accounts.get(&person) else {
                    return Err(Said(
                        StatusCode::UNAUTHORIZED,
                        texts.no_account(person.as_str()),
                    ));
                };
                home.sessions
                    .prove(&person, Some(&account.sealed), &passphrase, now)
                    .map_err(|error| Said(StatusCode::UNAUTHORIZED, account_words(texts, error)))?
            }
        };
        let token = home
            .sessions
            .open_session(&person, signer, now)
            .map_err(|error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
        Ok((token, views::person(&state, &person)))
    })
    .await;
    match opened {
        Ok((token, person)) => (
            [(
                header::SET_COOKIE,
                format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict"),
            )],
            Json(serde_json::json!({ "person": person })),
        )
            .into_response(),
        Err(said) => said.into_response(),
    }
}

fn account_words(texts: Texts, error: AccountError) -> String {
    use crate::limits::{PASSPHRASE_BYTES_MAX, PASSPHRASE_CHARS_MIN};
    match error {
        AccountError::TooShort => texts.passphrase_too_short(PASSPHRASE_CHARS_MIN),
        AccountError::TooLong => texts.passphrase_too_long(PASSPHRASE_BYTES_MAX),
        AccountError::NotText => texts.passphrase_not_text(),
        AccountError::Wrong => texts.wrong_passphrase(),
        AccountError::Wait(seconds) => texts.login_wait(seconds),
        AccountError::NoSession => texts.session_ended(),
        AccountError::Damaged | AccountError::Random(_) => error.to_string(),
    }
}

/// `POST /app/logout`: ends the session and clears its cookie.
pub(super) async fn logout(Shared(app): Shared<App>, headers: HeaderMap) -> Response {
    let name = session_cookie(&app.home);
    if let Some(token) = cookie(&headers, &name) {
        app.home.sessions.logout(token);
    }
    (
        [(
            header::SET_COOKIE,
            format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        Json(serde_json::json!({})),
    )
        .into_response()
}
