//! The app's API (`/app/…`): logging in and out, a person's work, the pickers, the list of
//! items, creating one, an item's page and its actions, and sync. Each handler parses, asks the
//! engine or the node, and answers; the rules are the engine's (docs/API.md lists the routes).

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use nhip_engine::command::{Command, CommandError};
use nhip_engine::state::State;
use nhip_engine::state::steps::{my_work, next_steps};
use nhip_engine::{Date, EventId, PersonId, UnitId};
use serde::{Deserialize, Serialize};

use super::access::{Caller, Gate, cookie, session_cookie};
use super::views::{self, PersonRef, UnitRef};
use crate::account::{AccountError, Actor};
use crate::home::{Home, HomeError};
use crate::limits::{
    APP_LIST_ROWS_MAX, APP_PICKER_ROWS_MAX, APP_UPLOAD_BYTES_MAX, SESSION_IDLE_MS,
};
use crate::text_search;
use crate::texts::{Lang, Texts, app_words};
use crate::transport::now_ms;

/// What the handlers share.
#[derive(Clone)]
struct App {
    home: Arc<Home>,
    gate: Arc<Gate>,
}

/// The app's routes.
pub fn routes(home: Arc<Home>, gate: Arc<Gate>) -> Router {
    Router::new()
        .route("/app/words", get(words))
        .route("/app/me", get(me))
        .route("/app/login", post(login))
        .route("/app/logout", post(logout))
        .route("/app/work", get(work))
        .route("/app/people", get(people))
        .route("/app/units", get(units))
        .route("/app/workflows", get(workflows))
        .route("/app/items", get(items).post(create))
        .route("/app/items.xlsx", get(items_xlsx))
        .route("/app/items/{id}", get(item).post(act))
        .route("/app/indicators/{code}", post(report_indicator))
        .route("/app/progress", get(progress))
        .route("/app/sync", get(sync).post(sync_now))
        .route(
            "/app/import",
            post(import).layer(DefaultBodyLimit::max(APP_UPLOAD_BYTES_MAX)),
        )
        .with_state(App { home, gate })
}

/// A refusal a page shows as it is: the status, and the words.
struct Said(StatusCode, String);

impl IntoResponse for Said {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

type Answer<T> = Result<Json<T>, Said>;

/// The reader's language: `?lang=`, else the `nhip_lang` cookie the page sets, else Vietnamese.
fn texts_for(headers: &HeaderMap, lang: Option<&str>) -> Texts {
    Texts(Lang::parse(
        lang.or_else(|| cookie(headers, "nhip_lang"))
            .unwrap_or("vi"),
    ))
}

/// Runs `work` on a blocking thread (the state, the log and argon2 block).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Said> + Send + 'static,
) -> Result<T, Said> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| Err(Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())))
}

fn state_of(home: &Home) -> Result<Arc<State>, Said> {
    home.state()
        .map_err(|error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

fn today(given: Option<&str>) -> Result<Date, Said> {
    match given {
        None | Some("") => Ok(Date::from_unix_ms(now_ms())),
        Some(text) => Date::parse(text)
            .map_err(|_| Said(StatusCode::BAD_REQUEST, format!("{text:?}: YYYY-MM-DD"))),
    }
}

/// The person a caller acts as; readers with a token act as no one.
fn person_of(caller: &Caller) -> Result<&Actor, Said> {
    match caller {
        Caller::Person { actor, .. } => Ok(actor.as_ref()),
        Caller::Reader => Err(Said(StatusCode::FORBIDDEN, "tokens read only".into())),
    }
}

/// `GET /app/words?lang=`: every word of the pages, in one language.
async fn words(headers: HeaderMap, Query(query): Query<LangQuery>) -> Response {
    let texts = texts_for(&headers, query.lang.as_deref());
    Json(app_words(texts.0)).into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// Who is logged in.
#[derive(Serialize)]
struct Me {
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
async fn me(Shared(app): Shared<App>, caller: Option<Extension<Caller>>) -> Answer<Me> {
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
struct LoginForm {
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
async fn login(
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
async fn logout(Shared(app): Shared<App>, headers: HeaderMap) -> Response {
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

#[derive(Deserialize)]
struct TodayQuery {
    today: Option<String>,
}

/// `GET /app/work`: what waits for the logged-in person.
async fn work(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<TodayQuery>,
) -> Answer<Vec<views::WorkLine>> {
    let person = person_of(&caller)?.person.clone();
    let today = today(query.today.as_deref())?;
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        let lines = my_work(&state, &person, today);
        Ok(views::work(&state, lines, today))
    })
    .await
    .map(Json)
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /app/people?q=`: people whose name or code matches, diacritics ignored.
async fn people(
    Shared(app): Shared<App>,
    Query(search): Query<Search>,
) -> Answer<Vec<PersonChoice>> {
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        let choices = state
            .registry
            .people
            .iter()
            .filter(|(code, person)| {
                text_search::matches(&person.name, &search.q)
                    || text_search::matches(code.as_str(), &search.q)
            })
            .take(APP_PICKER_ROWS_MAX)
            .map(|(code, _)| PersonChoice {
                units: state
                    .registry
                    .roles_of(code)
                    .into_iter()
                    .map(|(unit, _)| views::unit(&state, &unit).name)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                person: views::person(&state, code),
            })
            .collect();
        Ok(choices)
    })
    .await
    .map(Json)
}

#[derive(Serialize)]
struct PersonChoice {
    person: PersonRef,
    /// The units they hold roles in, by name.
    units: Vec<String>,
}

/// `GET /app/units?q=`: units whose name or path matches, diacritics ignored.
async fn units(Shared(app): Shared<App>, Query(search): Query<Search>) -> Answer<Vec<UnitRef>> {
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        Ok(state
            .registry
            .units
            .iter()
            .filter(|(path, unit)| {
                text_search::matches(&unit.name, &search.q)
                    || text_search::matches(path.as_str(), &search.q)
            })
            .take(APP_PICKER_ROWS_MAX)
            .map(|(path, _)| views::unit(&state, path))
            .collect())
    })
    .await
    .map(Json)
}

#[derive(Serialize)]
struct WorkflowChoice {
    id: String,
    name: String,
}

/// `GET /app/workflows`: the workflows an item can be created under (the newest version of
/// each; reports are made by `nhip report`, not here).
async fn workflows(Shared(app): Shared<App>) -> Answer<Vec<WorkflowChoice>> {
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        let mut ids: Vec<String> = nhip_engine::workflow::builtins()
            .keys()
            .chain(state.workflows.keys())
            .map(|(id, _)| id.clone())
            .filter(|id| id != nhip_engine::report::REPORT_WORKFLOW)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                let definition = nhip_engine::command::latest_workflow(&state, &id)?;
                Some(WorkflowChoice {
                    id,
                    name: definition.name.clone(),
                })
            })
            .collect())
    })
    .await
    .map(Json)
}

#[derive(Deserialize)]
struct ListQuery {
    unit: Option<String>,
    state: Option<String>,
    person: Option<String>,
    workflow: Option<String>,
    /// `overdue`, `waiting`, `open`, `finished`, `conflicts`.
    show: Option<String>,
    q: Option<String>,
    /// `deadline` (the default), `title`, `unit`, `state`.
    sort: Option<String>,
    today: Option<String>,
}

#[derive(Serialize)]
struct ItemList {
    rows: Vec<views::ItemRow>,
    /// How many matched (rows holds at most the first few hundred).
    matched: usize,
}

/// The items of `state` a list asks for, filtered and sorted, on `today`: at most
/// [`APP_LIST_ROWS_MAX`] rows, and how many matched.
fn list(state: &State, query: &ListQuery, today: Date) -> Result<ItemList, Said> {
    let unit = match query.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(text) => Some(
            UnitId::new(text)
                .map_err(|_| Said(StatusCode::BAD_REQUEST, format!("{text:?}: unit")))?,
        ),
        None => None,
    };
    let nonempty = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    let (wanted_state, person, workflow, show, q) = (
        nonempty(&query.state),
        nonempty(&query.person),
        nonempty(&query.workflow),
        nonempty(&query.show),
        nonempty(&query.q),
    );
    // Filtered and sorted on the items themselves; rows (with names) are made only for what
    // is shown — a province holds hundreds of thousands of items.
    let mut found: Vec<(
        &EventId,
        &nhip_engine::state::Item,
        &nhip_engine::workflow::Definition,
    )> = state
        .items
        .iter()
        .filter(|(_, item)| item.workflow != nhip_engine::report::REPORT_WORKFLOW)
        .filter(|(_, item)| {
            unit.as_ref()
                .is_none_or(|unit| item.unit.is_within(unit) || item.lead_unit.is_within(unit))
        })
        .filter(|(_, item)| wanted_state.as_ref().is_none_or(|s| &item.state == s))
        .filter(|(_, item)| workflow.as_ref().is_none_or(|w| &item.workflow == w))
        .filter(|(_, item)| {
            person
                .as_ref()
                .is_none_or(|p| item.assignee.as_ref().is_some_and(|a| a.as_str() == p))
        })
        .filter(|(_, item)| {
            q.as_ref()
                .is_none_or(|q| text_search::matches(&item.title, q))
        })
        .filter_map(|(id, item)| Some((id, item, state.definition_of(item)?)))
        .filter(|(_, item, definition)| match show.as_deref() {
            Some("overdue") => item.is_overdue(definition, today),
            Some("waiting") => item.is_waiting(definition),
            Some("open") => !definition.is_terminal(&item.state),
            Some("finished") => definition.is_terminal(&item.state),
            Some("conflicts") => item.open_conflicts().next().is_some(),
            _ => true,
        })
        .collect();
    let unit_name = |unit: &UnitId| {
        state
            .registry
            .units
            .get(unit)
            .map_or(unit.as_str(), |found| found.name.as_str())
            .to_owned()
    };
    match query.sort.as_deref() {
        Some("title") => found.sort_by(|a, b| a.1.title.cmp(&b.1.title)),
        Some("unit") => found.sort_by_cached_key(|(_, item, _)| unit_name(&item.unit)),
        Some("state") => found.sort_by_cached_key(|(_, item, definition)| {
            definition
                .state(&item.state)
                .map_or_else(|| item.state.clone(), |s| s.name.clone())
        }),
        // By deadline, open work first: the key made once per item, not per comparison.
        _ => found.sort_by_cached_key(|(_, item, definition)| {
            (
                definition.is_terminal(&item.state),
                item.deadline
                    .map_or(i32::MAX, |deadline| today.days_until(deadline)),
            )
        }),
    }
    let matched = found.len();
    let rows = found
        .into_iter()
        .take(APP_LIST_ROWS_MAX)
        .map(|(id, item, _)| views::item_row(state, *id, item, today))
        .collect();
    Ok(ItemList { rows, matched })
}

/// `GET /app/items?…`: the items this node holds, filtered and sorted.
async fn items(Shared(app): Shared<App>, Query(query): Query<ListQuery>) -> Answer<ItemList> {
    let today = today(query.today.as_deref())?;
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        list(&state, &query, today)
    })
    .await
    .map(Json)
}

/// `GET /app/items.xlsx?…`: the same list as a workbook a clerk opens in Excel.
async fn items_xlsx(
    Shared(app): Shared<App>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let made = blocking(move || {
        let today = today(query.today.as_deref())?;
        let state = state_of(&home)?;
        let list = list(&state, &query, today)?;
        super::export::workbook(&list.rows, texts)
            .map_err(|error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
    })
    .await;
    match made {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"nhip-nhiem-vu.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(said) => said.into_response(),
    }
}

#[derive(Deserialize)]
struct NewItem {
    workflow: String,
    unit: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    lead_unit: Option<String>,
    #[serde(default)]
    coordinating: Vec<String>,
    #[serde(default)]
    assignee: Option<String>,
    /// `31/12/2025` or `2025-12-31`.
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    indicator: Option<String>,
}

fn field<T>(
    texts: Texts,
    name: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, Said> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| Said(StatusCode::BAD_REQUEST, texts.app_bad_field(name, text))),
    }
}

/// `POST /app/items`: creates an item as the logged-in person.
async fn create(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Json(form): Json<NewItem>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let made = blocking(move || {
        let actor = person_of(&caller)?.clone();
        let unit = field(texts, "unit", Some(form.unit), |t| UnitId::new(t).ok())?
            .ok_or_else(|| Said(StatusCode::BAD_REQUEST, texts.app_bad_field("unit", "")))?;
        let command = Command::CreateItem {
            workflow: form.workflow,
            unit,
            title: form.title,
            description: form.description,
            lead_unit: field(texts, "lead_unit", form.lead_unit, |t| UnitId::new(t).ok())?,
            coordinating: form
                .coordinating
                .iter()
                .map(|text| {
                    UnitId::new(text).map_err(|_| {
                        Said(
                            StatusCode::BAD_REQUEST,
                            texts.app_bad_field("coordinating", text),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            assignee: field(texts, "assignee", form.assignee, |t| PersonId::new(t).ok())?,
            deadline: field(texts, "deadline", form.deadline, |t| Date::parse(t).ok())?,
            parent: field(texts, "parent", form.parent, |t| {
                uuid::Uuid::parse_str(t).ok().map(EventId)
            })?,
            indicator: form.indicator.filter(|code| !code.trim().is_empty()),
        };
        decide(&home, &actor, command, texts)
    })
    .await;
    match made {
        Ok(id) => Json(serde_json::json!({ "id": id })).into_response(),
        Err(said) => said.into_response(),
    }
}

/// Has the engine decide `command` as `actor` and appends it: the event's id, or the refusal
/// in words (naming who may instead).
fn decide(home: &Home, actor: &Actor, command: Command, texts: Texts) -> Result<EventId, Said> {
    match home.act(actor, command) {
        Ok(id) => Ok(id),
        Err(HomeError::Command(error)) => {
            let status = match error {
                CommandError::NotAllowed { .. } | CommandError::Refused(_) => StatusCode::FORBIDDEN,
                CommandError::ChangedMeanwhile => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Err(Said(status, texts.command_error(&error)))
        }
        Err(other) => Err(Said(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())),
    }
}

fn item_id(text: &str) -> Result<EventId, Said> {
    uuid::Uuid::parse_str(text)
        .map(EventId)
        .map_err(|_| Said(StatusCode::BAD_REQUEST, "not an item id".into()))
}

#[derive(Deserialize)]
struct ItemQuery {
    today: Option<String>,
    lang: Option<String>,
}

/// `GET /app/items/{id}`: an item's page, with what the reader may do.
async fn item(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ItemQuery>,
) -> Answer<views::ItemPage> {
    let id = item_id(&id)?;
    let today = today(query.today.as_deref())?;
    let texts = texts_for(&headers, query.lang.as_deref());
    let reader = match &caller {
        Caller::Person { actor, .. } => Some(actor.person.clone()),
        Caller::Reader => None,
    };
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        let not_found = || Said(StatusCode::NOT_FOUND, texts.app_no_item());
        let found = state.items.get(&id).ok_or_else(not_found)?;
        let definition = state.definition_of(found).ok_or_else(not_found)?;
        let steps = match &reader {
            Some(person) => next_steps(&state, found, definition, person),
            // A reader sees every step, none allowed.
            None => {
                let mut steps = next_steps(&state, found, definition, &found.creator);
                for step in &mut steps.transitions {
                    step.allowed = false;
                }
                steps.take_part = false;
                steps.assign = false;
                steps.extend = false;
                steps.resolve = false;
                steps
            }
        };
        let received = crate::dashboard::received_times(&home, &found.unit);
        Ok(views::item_page(
            &state, id, found, steps, &received, texts, today,
        ))
    })
    .await
    .map(Json)
}

/// One action on an item, as a page sends it.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Action {
    Fire {
        transition: String,
        #[serde(default)]
        note: String,
    },
    Vote {
        transition: String,
        approve: bool,
        #[serde(default)]
        note: String,
    },
    Progress {
        percent: u8,
        #[serde(default)]
        note: String,
    },
    Comment {
        text: String,
    },
    Extend {
        deadline: String,
        reason: String,
    },
    Assign {
        assignee: String,
    },
    Resolve {
        conflict: String,
        note: String,
    },
}

/// `POST /app/items/{id}`: the logged-in person acts on the item.
async fn act(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(action): Json<Action>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let done = blocking(move || {
        let item = item_id(&id)?;
        let actor = person_of(&caller)?.clone();
        let command = match action {
            Action::Fire { transition, note } => Command::Fire {
                item,
                transition,
                note,
            },
            Action::Vote {
                transition,
                approve,
                note,
            } => Command::Vote {
                item,
                transition: Some(transition),
                approve,
                note,
            },
            Action::Progress { percent, note } => Command::Progress {
                item,
                percent,
                note,
            },
            Action::Comment { text } => Command::Comment { item, text },
            Action::Extend { deadline, reason } => Command::Extend {
                item,
                deadline: field(texts, "deadline", Some(deadline.clone()), |t| {
                    Date::parse(t).ok()
                })?
                .ok_or_else(|| {
                    Said(StatusCode::BAD_REQUEST, texts.app_bad_field("deadline", ""))
                })?,
                reason,
            },
            Action::Assign { assignee } => Command::Assign {
                item,
                assignee: PersonId::new(assignee.trim()).map_err(|_| {
                    Said(
                        StatusCode::BAD_REQUEST,
                        texts.app_bad_field("assignee", &assignee),
                    )
                })?,
            },
            Action::Resolve { conflict, note } => Command::Resolve {
                item,
                conflict: item_id(&conflict)?,
                note,
            },
        };
        decide(&home, &actor, command, texts)
    })
    .await;
    match done {
        Ok(id) => Json(serde_json::json!({ "event": id })).into_response(),
        Err(said) => said.into_response(),
    }
}

/// How the link with the parent stands.
#[derive(Serialize)]
struct SyncView {
    /// The node has a parent to sync with.
    parent: bool,
    /// A live link to it is up now.
    connected: bool,
    /// When a sync last caught up (ms since the epoch).
    last_success_ms: Option<u64>,
    /// Why the last attempt failed, if it did.
    last_error: Option<String>,
    /// Events written here that the parent has not yet acknowledged.
    pending_up: u64,
}

/// `GET /app/sync`.
async fn sync(Shared(app): Shared<App>) -> Answer<SyncView> {
    let home = app.home.clone();
    blocking(move || {
        let record = home.sync_record().unwrap_or_default();
        let parent = home
            .config
            .parent
            .as_ref()
            .and_then(|parent| nhip_engine::NodeId::from_hex(&parent.node));
        let link = parent.and_then(|parent| home.links.snapshot().remove(&parent));
        let last_success_ms = link
            .as_ref()
            .and_then(|link| link.last_success_ms)
            .max(record.last_success_ms);
        Ok(SyncView {
            parent: parent.is_some(),
            connected: link.as_ref().is_some_and(|link| link.connected),
            last_success_ms,
            last_error: link
                .and_then(|link| link.last_error.map(|(_, error)| error))
                .or(record.last_error),
            pending_up: home.pending_up().unwrap_or_default(),
        })
    })
    .await
    .map(Json)
}

/// `POST /app/sync`: the uplink tries now instead of waiting out its backoff.
async fn sync_now(Shared(app): Shared<App>) -> Response {
    app.home.wake_uplink.notify_one();
    Json(serde_json::json!({})).into_response()
}

#[derive(Deserialize)]
struct ImportQuery {
    /// The file's name, for its kind (`.xlsx`, `.xls`, `.ods`, `.csv`, …).
    name: String,
    /// Write the rows (when none is wrong); else only check them.
    #[serde(default)]
    commit: bool,
}

#[derive(Serialize)]
struct ImportAnswer {
    rows: Vec<crate::exchange::RowCheck>,
    /// How many rows are wrong.
    errors: usize,
    /// How many items were created, when the rows were written.
    imported: Option<usize>,
}

/// `POST /app/import?name=…&commit=…`: the appendix (the file's bytes as the body), every row
/// checked — and, when asked and no row is wrong, written in one commit.
async fn import(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Answer<ImportAnswer> {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    blocking(move || {
        let actor = person_of(&caller)?.clone();
        let kind = std::path::Path::new(&query.name)
            .extension()
            .map(|kind| kind.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !["csv", "xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&kind.as_str()) {
            return Err(Said(
                StatusCode::BAD_REQUEST,
                texts.app_upload_kind(&query.name),
            ));
        }
        let io = |error: std::io::Error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
        // The readers take a file: the upload is one, in the data folder, gone when done.
        let mut file = tempfile::Builder::new()
            .prefix(".upload-")
            .suffix(&format!(".{kind}"))
            .tempfile_in(&home.dir)
            .map_err(io)?;
        std::io::Write::write_all(&mut file, &body).map_err(io)?;
        let _turn = home.writing();
        let state = state_of(&home)?;
        let now = now_ms();
        let checked = crate::exchange::check(&home, &state, texts, &actor, file.path(), now)
            .map_err(|failure| Said(StatusCode::BAD_REQUEST, failure.message))?;
        let rows = checked.rows.clone();
        let errors = checked.errors();
        let imported = if query.commit && errors == 0 {
            Some(
                crate::exchange::write(&home, checked, now)
                    .map_err(|failure| Said(StatusCode::INTERNAL_SERVER_ERROR, failure.message))?,
            )
        } else {
            None
        };
        Ok(ImportAnswer {
            rows,
            errors,
            imported,
        })
    })
    .await
    .map(Json)
}

/// A number as people here write it: `1.234,5` (Vietnamese) or `1234.5`, in thousandths.
fn milli(text: &str) -> Option<i64> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let plain = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else {
        text
    };
    let value: f64 = plain.parse().ok()?;
    let milli = (value * 1000.0).round();
    (milli.is_finite() && milli.abs() < 9e15).then_some(milli as i64)
}

#[derive(Deserialize)]
struct IndicatorValue {
    value: String,
    #[serde(default)]
    note: String,
}

/// `POST /app/indicators/{code}`: the logged-in person reports the indicator's value.
async fn report_indicator(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Json(form): Json<IndicatorValue>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let done = blocking(move || {
        let actor = person_of(&caller)?.clone();
        let value_milli = milli(&form.value).ok_or_else(|| {
            Said(
                StatusCode::BAD_REQUEST,
                texts.app_bad_field("value", &form.value),
            )
        })?;
        let command = Command::ReportIndicator {
            id: code,
            value_milli,
            note: form.note,
        };
        decide(&home, &actor, command, texts)
    })
    .await;
    match done {
        Ok(id) => Json(serde_json::json!({ "event": id })).into_response(),
        Err(said) => said.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::milli;

    #[test]
    fn numbers_are_read_as_people_write_them() {
        assert_eq!(milli("1.234,5"), Some(1_234_500));
        assert_eq!(milli("1234.5"), Some(1_234_500));
        assert_eq!(milli(" 85 "), Some(85_000));
        assert_eq!(milli("0,25"), Some(250));
        assert_eq!(milli("mười"), None);
        assert_eq!(milli("1e300"), None);
        assert_eq!(milli(""), None);
    }
}

/// One week of progress, dates as `YYYY-MM-DD`.
#[derive(Serialize)]
struct WeekView {
    start: String,
    end: String,
    done: u32,
    overdue: u32,
}

#[derive(Deserialize)]
struct ProgressQuery {
    unit: Option<String>,
    weeks: Option<u32>,
    today: Option<String>,
}

/// `GET /app/progress?unit=&weeks=&today=`: done and overdue per week for a unit (this node's
/// own by default), the last 12 weeks by default (52 at most).
async fn progress(
    Shared(app): Shared<App>,
    Query(query): Query<ProgressQuery>,
) -> Answer<Vec<WeekView>> {
    let today = today(query.today.as_deref())?;
    let unit = match query.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(text) => UnitId::new(text)
            .map_err(|_| Said(StatusCode::BAD_REQUEST, format!("{text:?}: unit")))?,
        None => app.home.config.unit.clone(),
    };
    let weeks = query.weeks.unwrap_or(12).clamp(1, 52);
    let home = app.home.clone();
    blocking(move || {
        let state = state_of(&home)?;
        let series = nhip_engine::state::progress::weekly(&state, &unit, today, weeks, |item| {
            item.workflow != nhip_engine::report::REPORT_WORKFLOW
        });
        Ok(series
            .into_iter()
            .map(|week| WeekView {
                start: week.start.to_string(),
                end: week.end.to_string(),
                done: week.done,
                overdue: week.overdue,
            })
            .collect())
    })
    .await
    .map(Json)
}
