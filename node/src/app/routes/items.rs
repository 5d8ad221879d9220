//! The list of items (and its workbook), creating an item, an item's page and its actions.

#[allow(clippy::wildcard_imports)]
use super::*;

#[derive(Deserialize)]
pub(super) struct ListQuery {
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
pub(super) struct ItemList {
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
pub(super) async fn items(
    Shared(app): Shared<App>,
    Query(query): Query<ListQuery>,
) -> Answer<ItemList> {
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
pub(super) async fn items_xlsx(
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
        crate::app::export::workbook(&list.rows, texts)
            .map_err(|error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
    })
    .await;
    match made {
        Ok(bytes) => attachment(XLSX, "nhip-nhiem-vu.xlsx", bytes),
        Err(said) => said.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct NewItem {
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

/// `POST /app/items`: creates an item as the logged-in person.
pub(super) async fn create(
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

#[derive(Deserialize)]
pub(super) struct ItemQuery {
    today: Option<String>,
    lang: Option<String>,
}

/// `GET /app/items/{id}`: an item's page, with what the reader may do.
pub(super) async fn item(
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
pub(super) enum Action {
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
pub(super) async fn act(
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
