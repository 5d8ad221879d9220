//! An indicator's value, reported as people write numbers here.

#[allow(clippy::wildcard_imports)]
use super::*;

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
pub(super) struct IndicatorValue {
    value: String,
    #[serde(default)]
    note: String,
}

/// `POST /app/indicators/{code}`: the logged-in person reports the indicator's value.
pub(super) async fn report_indicator(
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
