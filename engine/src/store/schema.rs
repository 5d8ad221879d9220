//! The schema marker and node key of a log file, and migrations from older schemas.

use super::{Db, META, META_NODE, META_SCHEMA, OpenError, open_storage};
use crate::ids::NodeId;

/// The storage schema this version writes. Older schemas are migrated on open; newer ones
/// are refused.
///
/// - 1: the first.
/// - 2: a record's tag may carry the flag that its personal signature verified on arrival
///   ([`Verdict::Verified`](crate::signature::Verdict::Verified)). Every schema-1 record is a valid schema-2 record, so the
///   migration only writes the new number (a schema-1 reader would take a record with the new
///   flag for damage, hence the number).
pub const SCHEMA_VERSION: u32 = 2;

pub(super) fn check_meta(db: &Db) -> Result<(NodeId, u32), OpenError> {
    let txn = db.begin_read().map_err(open_storage)?;
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => return Err(OpenError::NotANhipLog),
        Err(error) => return Err(open_storage(error)),
    };
    let schema = meta
        .get(META_SCHEMA)
        .map_err(open_storage)?
        .ok_or(OpenError::NotANhipLog)?;
    let schema = <[u8; 4]>::try_from(schema.value())
        .map(u32::from_le_bytes)
        .map_err(|_| OpenError::NotANhipLog)?;
    if schema > SCHEMA_VERSION {
        return Err(OpenError::UnsupportedSchema {
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    let node = meta
        .get(META_NODE)
        .map_err(open_storage)?
        .ok_or(OpenError::NotANhipLog)?;
    let node = NodeId(<[u8; 32]>::try_from(node.value()).map_err(|_| OpenError::NotANhipLog)?);
    Ok((node, schema))
}

/// Brings a log written by an older schema to [`SCHEMA_VERSION`] (see there for what each
/// step changes).
pub(super) fn migrate(db: &Db, schema: u32) -> Result<(), OpenError> {
    if schema >= SCHEMA_VERSION {
        return Ok(());
    }
    let txn = db
        .begin_write()
        .map_err(|error| OpenError::Storage(error.to_string()))?;
    {
        let mut meta = txn.open_table(META).map_err(open_storage)?;
        meta.insert(META_SCHEMA, SCHEMA_VERSION.to_le_bytes().as_slice())
            .map_err(open_storage)?;
    }
    txn.commit().map_err(open_storage)
}
