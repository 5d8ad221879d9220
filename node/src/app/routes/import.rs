//! The appendix uploaded: every row checked, then written in one commit.

#[allow(clippy::wildcard_imports)]
use super::*;

#[derive(Deserialize)]
pub(super) struct ImportQuery {
    /// The file's name, for its kind (`.xlsx`, `.xls`, `.ods`, `.csv`, …).
    name: String,
    /// Write the rows (when none is wrong); else only check them.
    #[serde(default)]
    commit: bool,
}

#[derive(Serialize)]
pub(super) struct ImportAnswer {
    rows: Vec<crate::exchange::RowCheck>,
    /// How many rows are wrong.
    errors: usize,
    /// How many items were created, when the rows were written.
    imported: Option<usize>,
}

/// `POST /app/import?name=…&commit=…`: the appendix (the file's bytes as the body), every row
/// checked — and, when asked and no row is wrong, written in one commit.
pub(super) async fn import(
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
