//! A person's work, the pickers (people, units, workflows) and progress by week.

#[allow(clippy::wildcard_imports)]
use super::*;

#[derive(Deserialize)]
pub(super) struct TodayQuery {
    today: Option<String>,
}

/// `GET /app/work`: what waits for the logged-in person.
pub(super) async fn work(
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
pub(super) struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /app/people?q=`: people whose name or code matches, diacritics ignored.
pub(super) async fn people(
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
pub(super) struct PersonChoice {
    person: PersonRef,
    /// The units they hold roles in, by name.
    units: Vec<String>,
}

/// `GET /app/units?q=`: units whose name or path matches, diacritics ignored.
pub(super) async fn units(
    Shared(app): Shared<App>,
    Query(search): Query<Search>,
) -> Answer<Vec<UnitRef>> {
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
pub(super) struct WorkflowChoice {
    id: String,
    name: String,
}

/// `GET /app/workflows`: the workflows an item can be created under (the newest version of
/// each; reports are made by `nhip report`, not here).
pub(super) async fn workflows(Shared(app): Shared<App>) -> Answer<Vec<WorkflowChoice>> {
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
pub(super) struct ProgressQuery {
    unit: Option<String>,
    weeks: Option<u32>,
    today: Option<String>,
}

/// `GET /app/progress?unit=&weeks=&today=`: done and overdue per week for a unit (this node's
/// own by default), the last 12 weeks by default (52 at most).
pub(super) async fn progress(
    Shared(app): Shared<App>,
    Query(query): Query<ProgressQuery>,
) -> Answer<Vec<views::WeekView>> {
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
            .map(|week| views::WeekView::of(week.start, week.done, week.overdue))
            .collect())
    })
    .await
    .map(Json)
}
