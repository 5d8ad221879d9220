//! Workflow definitions are data: a documented TOML format (docs/WORKFLOWS.md), parsed and
//! checked into a [`Definition`]. Definitions travel as events (`workflow.published`), are
//! versioned, and an item keeps the definition version it was created under.
//!
//! An invalid file is refused with every problem found, each with its line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A checked workflow definition.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Definition {
    /// The workflow's code, such as `task`.
    pub id: String,
    /// Its version; items keep the version they were created under.
    pub version: u16,
    /// Its display name.
    pub name: String,
    /// The state a new item starts in.
    pub initial: String,
    /// Deadline rules.
    pub deadline: DeadlineRule,
    /// States, in the order written.
    pub states: Vec<StateDef>,
    /// Transitions, in the order written.
    pub transitions: Vec<TransitionDef>,
    /// When to escalate, and to whom.
    pub escalations: Vec<Escalation>,
    /// Who may assign and extend (the `[rules]` table; defaults where it is silent). Left out
    /// of the state digest while it equals the defaults, so definitions written before rules
    /// were data keep their digest.
    #[serde(default, skip_serializing_if = "Rules::is_default")]
    pub rules: Rules,
}

/// Who may do the things every item allows besides its transitions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Rules {
    /// Who may (re)assign an item.
    pub assign: Vec<RoleRef>,
    /// Who may extend an item's deadline.
    pub extend: Vec<RoleRef>,
}

/// The roles that lead a unit: by default they assign and extend.
const LEADERS: [&str; 4] = ["bi-thu", "pho-bi-thu", "truong-ban", "chu-tich"];

impl Default for Rules {
    /// The creator, or a leader of the item's unit (or above it), or of its lead unit, assigns;
    /// the creator or a leader (or `lanh-dao`) of the item's unit, or above it, extends.
    fn default() -> Rules {
        let mut assign = vec![RoleRef::Creator];
        for role in LEADERS {
            assign.push(RoleRef::InLine(role.to_owned()));
            assign.push(RoleRef::Lead(role.to_owned()));
        }
        let mut extend = vec![RoleRef::Creator];
        extend.extend(
            LEADERS
                .iter()
                .map(|role| RoleRef::InLine((*role).to_owned())),
        );
        extend.push(RoleRef::InLine("lanh-dao".to_owned()));
        Rules { assign, extend }
    }
}

impl Rules {
    fn is_default(&self) -> bool {
        *self == Rules::default()
    }
}

/// Whether items need a deadline, and the default.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct DeadlineRule {
    /// A new item must have a deadline (given, or from `default_days`).
    pub required: bool,
    /// Days after creation, when none is given.
    pub default_days: Option<u32>,
}

/// A state.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StateDef {
    /// Its code.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Items in a final state take no more transitions.
    pub terminal: bool,
    /// A final state in which the work was not done (cancelled, withdrawn): it does not count
    /// as done. Left out of the state digest while false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// A transition between states.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TransitionDef {
    /// Its code, such as `approve`.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The states it may leave.
    pub from: Vec<String>,
    /// The state it enters.
    pub to: String,
    /// Who fires it.
    pub who: Who,
    /// For an approval: where a refusal sends the item (and then the transition is one that
    /// approvers vote on).
    pub reject_to: Option<String>,
}

impl TransitionDef {
    /// Whether people approve (or refuse) it by voting, rather than fire it: it can be
    /// refused, or it takes more than one person.
    pub fn is_approval(&self) -> bool {
        self.reject_to.is_some() || !matches!(self.who, Who::OneOf(_))
    }
}

/// Who may fire a transition (see docs/WORKFLOWS.md for role references).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Who {
    /// Any one holder of one of these roles.
    OneOf(Vec<RoleRef>),
    /// A holder of each of these roles must approve.
    AllOf(Vec<RoleRef>),
    /// Enough of the members of a committee must vote yes.
    Quorum {
        /// The committee role (members hold it in the item's unit).
        role: String,
        /// How many yes votes are enough.
        threshold: Threshold,
    },
}

/// How many votes carry a quorum.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Threshold {
    /// More than half of the members.
    Majority,
    /// At least two thirds of the members.
    TwoThirds,
    /// At least this many.
    AtLeast(u32),
}

impl Threshold {
    /// Whether `yes` votes out of `members` carry.
    pub fn carried(self, yes: usize, members: usize) -> bool {
        match self {
            Threshold::Majority => yes * 2 > members,
            Threshold::TwoThirds => yes * 3 >= members * 2 && yes > 0,
            Threshold::AtLeast(count) => yes >= count as usize,
        }
    }
}

/// A role, and where it must be held relative to the item.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum RoleRef {
    /// The item's assignee.
    Assignee,
    /// The item's creator.
    Creator,
    /// The role, held in the item's unit or one above it.
    InLine(String),
    /// The role, held in a unit strictly above the item's unit (a higher level).
    Above(String),
    /// The role, held in the item's lead unit or one above it.
    Lead(String),
}

impl RoleRef {
    fn parse(text: &str) -> Result<RoleRef, String> {
        let check = |role: &str| {
            if !role.is_empty()
                && role
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                Ok(role.to_owned())
            } else {
                Err(format!(
                    "{text:?} is not a role: use a-z, 0-9 and '-', with @up or @lead after it"
                ))
            }
        };
        match text {
            "assignee" => Ok(RoleRef::Assignee),
            "creator" => Ok(RoleRef::Creator),
            _ => match text.split_once('@') {
                None => check(text).map(RoleRef::InLine),
                Some((role, "up")) => check(role).map(RoleRef::Above),
                Some((role, "lead")) => check(role).map(RoleRef::Lead),
                Some((_, place)) => Err(format!(
                    "{text:?}: unknown place {place:?}; write role, role@up or role@lead"
                )),
            },
        }
    }
}

impl std::fmt::Display for RoleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoleRef::Assignee => f.write_str("assignee"),
            RoleRef::Creator => f.write_str("creator"),
            RoleRef::InLine(role) => f.write_str(role),
            RoleRef::Above(role) => write!(f, "{role}@up"),
            RoleRef::Lead(role) => write!(f, "{role}@lead"),
        }
    }
}

/// When an item needs attention from higher up.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Escalation {
    /// Waiting in this state; `None` means "past its deadline".
    pub state: Option<String>,
    /// For how many days.
    pub after_days: u32,
    /// To whom: a role (in line with the item's unit) …
    pub to_role: Option<String>,
    /// … or the parent unit.
    pub to_parent: bool,
}

/// One problem in a definition file.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct DefinitionError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, and what to write instead.
    pub message: String,
}

/// Every problem of an invalid definition file.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

// The file as written, with spans for every value an error may point at.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    id: Spanned<String>,
    version: Spanned<u16>,
    name: String,
    initial: Spanned<String>,
    #[serde(default)]
    deadline: Option<RawDeadline>,
    states: Vec<RawState>,
    transitions: Vec<RawTransition>,
    #[serde(default)]
    escalations: Vec<RawEscalation>,
    #[serde(default)]
    rules: Option<RawRules>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    assign: Option<Spanned<Vec<Spanned<String>>>>,
    extend: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    #[serde(default)]
    required: bool,
    default_days: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    name: String,
    #[serde(default, rename = "final")]
    terminal: bool,
    #[serde(default)]
    cancelled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    from: Spanned<Vec<Spanned<String>>>,
    to: Spanned<String>,
    roles: Option<Spanned<Vec<Spanned<String>>>>,
    all_of: Option<Spanned<Vec<Spanned<String>>>>,
    quorum: Option<Spanned<RawQuorum>>,
    reject_to: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuorum {
    role: Spanned<String>,
    threshold: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    state: Option<Spanned<String>>,
    #[serde(default)]
    overdue: bool,
    after_days: Spanned<u32>,
    to_role: Option<String>,
    #[serde(default)]
    to_parent: bool,
}

/// Turns byte offsets into line and column.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> DefinitionError {
        let before = &self.0[..span.start.min(self.0.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(1, |last| last.chars().count() + 1);
        DefinitionError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// A list of role references as written, each problem recorded with its place.
fn role_list(
    lines: &Lines<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    errors: &mut Vec<DefinitionError>,
) -> Vec<RoleRef> {
    if list.get_ref().is_empty() {
        errors.push(lines.error(list.span(), "the list of roles is empty"));
    }
    list.get_ref()
        .iter()
        .filter_map(|role| match RoleRef::parse(role.get_ref()) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                errors.push(lines.error(role.span(), message));
                None
            }
        })
        .collect()
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Definition {
    /// Parses and checks a definition file; on failure, every problem with its line.
    pub fn parse(source: &str) -> Result<Definition, DefinitionErrors> {
        let lines = Lines(source);
        let raw: RawFile = toml::from_str(source).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            DefinitionErrors(vec![lines.error(span, error.message().to_owned())])
        })?;
        let mut errors = Vec::new();
        if !is_code(raw.id.get_ref()) {
            errors.push(lines.error(
                raw.id.span(),
                "the id must be a code of a-z, 0-9, '-' and '_' (at most 64 bytes)",
            ));
        }
        if *raw.version.get_ref() == 0 {
            errors.push(lines.error(raw.version.span(), "versions start at 1"));
        }
        let mut states = Vec::new();
        let mut state_ids = BTreeSet::new();
        for state in &raw.states {
            let id = state.id.get_ref();
            if !is_code(id) {
                errors.push(lines.error(state.id.span(), format!("{id:?} is not a state code")));
            } else if !state_ids.insert(id.clone()) {
                errors.push(lines.error(state.id.span(), format!("state {id:?} is defined twice")));
            }
            if state.cancelled && !state.terminal {
                errors.push(lines.error(
                    state.id.span(),
                    format!("{id:?} is cancelled = true but not final = true: only a final state is a cancellation"),
                ));
            }
            states.push(StateDef {
                id: id.clone(),
                name: state.name.clone(),
                terminal: state.terminal,
                cancelled: state.cancelled,
            });
        }
        if raw.states.is_empty() {
            errors.push(lines.error(0..0, "a workflow needs at least one [[states]] entry"));
        }
        let known_state = |name: &Spanned<String>, errors: &mut Vec<DefinitionError>| {
            if !state_ids.contains(name.get_ref()) {
                errors.push(lines.error(
                    name.span(),
                    format!(
                        "unknown state {:?}; the states are {}",
                        name.get_ref(),
                        state_ids.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
        known_state(&raw.initial, &mut errors);
        let terminal: BTreeSet<&String> = states
            .iter()
            .filter(|state| state.terminal)
            .map(|state| &state.id)
            .collect();

        let mut transitions = Vec::new();
        let mut transition_ids = BTreeSet::new();
        for transition in &raw.transitions {
            let id = transition.id.get_ref();
            if !is_code(id) {
                errors.push(lines.error(
                    transition.id.span(),
                    format!("{id:?} is not a transition code"),
                ));
            } else if !transition_ids.insert(id.clone()) {
                errors.push(lines.error(
                    transition.id.span(),
                    format!("transition {id:?} is defined twice"),
                ));
            }
            if transition.from.get_ref().is_empty() {
                errors.push(lines.error(transition.from.span(), "from needs at least one state"));
            }
            for from in transition.from.get_ref() {
                known_state(from, &mut errors);
                if terminal.contains(from.get_ref()) {
                    errors.push(lines.error(
                        from.span(),
                        format!("{:?} is final: no transition may leave it", from.get_ref()),
                    ));
                }
            }
            known_state(&transition.to, &mut errors);
            if let Some(reject_to) = &transition.reject_to {
                known_state(reject_to, &mut errors);
            }
            let roles = |list: &Spanned<Vec<Spanned<String>>>,
                         errors: &mut Vec<DefinitionError>| {
                role_list(&lines, list, errors)
            };
            let given = [
                transition.roles.is_some(),
                transition.all_of.is_some(),
                transition.quorum.is_some(),
            ]
            .iter()
            .filter(|given| **given)
            .count();
            if given != 1 {
                errors.push(lines.error(
                    transition.id.span(),
                    format!(
                        "transition {id:?} must say who fires it with exactly one of roles, all_of or quorum"
                    ),
                ));
            }
            let who = if let Some(list) = &transition.roles {
                Who::OneOf(roles(list, &mut errors))
            } else if let Some(list) = &transition.all_of {
                Who::AllOf(roles(list, &mut errors))
            } else if let Some(quorum) = &transition.quorum {
                let role = quorum.get_ref().role.get_ref().clone();
                if !matches!(RoleRef::parse(&role), Ok(RoleRef::InLine(_))) {
                    errors.push(lines.error(
                        quorum.get_ref().role.span(),
                        "a quorum role is a plain role: its members hold it in the item's unit",
                    ));
                }
                let threshold = match quorum.get_ref().threshold.get_ref() {
                    toml::Value::String(text) if text == "majority" => Threshold::Majority,
                    toml::Value::String(text) if text == "two-thirds" => Threshold::TwoThirds,
                    toml::Value::Integer(count) if *count >= 1 && *count <= 10_000 => {
                        Threshold::AtLeast(*count as u32)
                    }
                    _ => {
                        errors.push(lines.error(
                            quorum.get_ref().threshold.span(),
                            "threshold is \"majority\", \"two-thirds\" or a count of votes",
                        ));
                        Threshold::Majority
                    }
                };
                Who::Quorum { role, threshold }
            } else {
                Who::OneOf(Vec::new())
            };
            transitions.push(TransitionDef {
                id: id.clone(),
                name: transition.name.clone().unwrap_or_else(|| id.clone()),
                from: transition
                    .from
                    .get_ref()
                    .iter()
                    .map(|state| state.get_ref().clone())
                    .collect(),
                to: transition.to.get_ref().clone(),
                who,
                reject_to: transition
                    .reject_to
                    .as_ref()
                    .map(|state| state.get_ref().clone()),
            });
        }

        let mut escalations = Vec::new();
        for escalation in &raw.escalations {
            match (&escalation.state, escalation.overdue) {
                (Some(state), false) => known_state(state, &mut errors),
                (None, true) => {}
                _ => errors.push(lines.error(
                    escalation.after_days.span(),
                    "an escalation names either a state = \"...\" or overdue = true",
                )),
            }
            if *escalation.after_days.get_ref() == 0 {
                errors.push(lines.error(
                    escalation.after_days.span(),
                    "after_days must be at least 1",
                ));
            }
            if escalation.to_role.is_some() == escalation.to_parent {
                errors.push(lines.error(
                    escalation.after_days.span(),
                    "an escalation goes either to_role = \"...\" or to_parent = true",
                ));
            }
            escalations.push(Escalation {
                state: escalation
                    .state
                    .as_ref()
                    .map(|state| state.get_ref().clone()),
                after_days: *escalation.after_days.get_ref(),
                to_role: escalation.to_role.clone(),
                to_parent: escalation.to_parent,
            });
        }

        let mut rules = Rules::default();
        if let Some(raw_rules) = &raw.rules {
            if let Some(list) = &raw_rules.assign {
                rules.assign = role_list(&lines, list, &mut errors);
            }
            if let Some(list) = &raw_rules.extend {
                rules.extend = role_list(&lines, list, &mut errors);
            }
        }
        let deadline = match &raw.deadline {
            None => DeadlineRule::default(),
            Some(rule) => {
                if let Some(days) = &rule.default_days {
                    if *days.get_ref() == 0 || *days.get_ref() > 3660 {
                        errors.push(lines.error(days.span(), "default_days must be 1 to 3660"));
                    }
                }
                DeadlineRule {
                    required: rule.required,
                    default_days: rule.default_days.as_ref().map(|days| *days.get_ref()),
                }
            }
        };
        if !errors.is_empty() {
            errors.sort_by_key(|error| (error.line, error.column));
            return Err(DefinitionErrors(errors));
        }
        Ok(Definition {
            id: raw.id.into_inner(),
            version: raw.version.into_inner(),
            name: raw.name,
            initial: raw.initial.into_inner(),
            deadline,
            states,
            transitions,
            escalations,
            rules,
        })
    }

    /// The state `id`.
    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|state| state.id == id)
    }

    /// The transition `id`.
    pub fn transition(&self, id: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|transition| transition.id == id)
    }

    /// The transitions that may leave `state`.
    pub fn transitions_from<'a>(
        &'a self,
        state: &'a str,
    ) -> impl Iterator<Item = &'a TransitionDef> + 'a {
        self.transitions
            .iter()
            .filter(move |transition| transition.from.iter().any(|from| from == state))
    }

    /// Whether `state` is final.
    pub fn is_terminal(&self, state: &str) -> bool {
        self.state(state).is_some_and(|state| state.terminal)
    }

    /// Whether `state` is final with the work done (not a cancellation).
    pub fn is_done(&self, state: &str) -> bool {
        self.state(state)
            .is_some_and(|state| state.terminal && !state.cancelled)
    }
}

/// The built-in definitions, as their TOML sources (docs/WORKFLOWS.md describes each).
pub const BUILTIN_SOURCES: &[&str] = &[
    include_str!("workflows/task.toml"),
    include_str!("workflows/document.toml"),
    include_str!("workflows/budget.toml"),
    include_str!("workflows/petition.toml"),
    include_str!("workflows/inspection.toml"),
    include_str!("workflows/report.toml"),
];

/// The built-in definitions, parsed once: available on every node without being published.
pub fn builtins() -> &'static BTreeMap<(String, u16), Definition> {
    static BUILTINS: OnceLock<BTreeMap<(String, u16), Definition>> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        BUILTIN_SOURCES
            .iter()
            .map(|source| {
                // Invariant: the built-in sources are checked by this crate's tests.
                let definition = Definition::parse(source).expect("built-in definitions are valid");
                ((definition.id.clone(), definition.version), definition)
            })
            .collect()
    })
}

/// The built-in definition `id` at `version`.
pub fn builtin(id: &str, version: u16) -> Option<&'static Definition> {
    builtins().get(&(id.to_owned(), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        let builtins = builtins();
        for id in [
            "task",
            "document",
            "budget",
            "petition",
            "inspection",
            "report",
        ] {
            assert!(builtins.contains_key(&(id.to_owned(), 1)), "{id}");
        }
    }

    #[test]
    fn errors_point_at_the_line_and_say_what_is_wrong() {
        let source = "id = \"x\"\nversion = 1\nname = \"X\"\ninitial = \"open\"\n\n[[states]]\nid = \"open\"\nname = \"Mở\"\n\n[[transitions]]\nid = \"close\"\nfrom = [\"open\"]\nto = \"closed\"\nroles = [\"bi-thu@nowhere\"]\n";
        let errors = Definition::parse(source).unwrap_err().0;
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 13);
        assert!(errors[0].message.contains("unknown state \"closed\""));
        assert_eq!(errors[1].line, 14);
        assert!(errors[1].message.contains("unknown place"));
    }

    #[test]
    fn syntax_errors_have_a_line_too() {
        let errors = Definition::parse("id = \"x\"\nversion = = 1\n")
            .unwrap_err()
            .0;
        assert_eq!(errors[0].line, 2, "{errors:?}");
        let errors = Definition::parse("id = \"x\"\nversion = 1\ncolour = 3\n")
            .unwrap_err()
            .0;
        assert!(errors[0].message.contains("colour"), "{errors:?}");
    }

    #[test]
    fn rules_are_data_with_defaults_where_silent() {
        let base = "id = \"x\"\nversion = 1\nname = \"X\"\ninitial = \"open\"\n\n[[states]]\nid = \"open\"\nname = \"Mở\"\n\n[[states]]\nid = \"dropped\"\nname = \"Bỏ\"\nfinal = true\ncancelled = true\n\n[[transitions]]\nid = \"drop\"\nfrom = [\"open\"]\nto = \"dropped\"\nroles = [\"chu-tich\"]\n";
        let silent = Definition::parse(base).unwrap();
        assert_eq!(silent.rules, Rules::default());
        assert!(silent.is_terminal("dropped") && !silent.is_done("dropped"));
        let ruled =
            Definition::parse(&format!("{base}\n[rules]\nassign = [\"chu-tich@lead\"]\n")).unwrap();
        assert_eq!(ruled.rules.assign, vec![RoleRef::Lead("chu-tich".into())]);
        assert_eq!(ruled.rules.extend, Rules::default().extend);
        let errors = Definition::parse(&format!("{base}\n[rules]\nextend = [\"x@nowhere\"]\n"))
            .unwrap_err()
            .0;
        assert!(errors[0].message.contains("unknown place"), "{errors:?}");
        let errors = Definition::parse(&base.replace("final = true\n", ""))
            .unwrap_err()
            .0;
        assert!(errors[0].message.contains("cancelled"), "{errors:?}");
    }

    #[test]
    fn thresholds() {
        assert!(Threshold::Majority.carried(3, 5));
        assert!(!Threshold::Majority.carried(2, 4));
        assert!(Threshold::TwoThirds.carried(4, 6));
        assert!(!Threshold::TwoThirds.carried(3, 6));
        assert!(Threshold::AtLeast(2).carried(2, 9));
    }
}
