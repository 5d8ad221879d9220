//! The engine's facts in words: why an event or a command was refused, what an entry of an
//! item's history did, why a conflict arose, who may act. The engine keeps these as kinds with
//! fields (so no wording reaches a state hash); this is the one place they become sentences.

use nhip_engine::command::{CommandError, Problem};
use nhip_engine::state::{Aspect, ConflictWhy, Detail, EscalateTo, Refusal};
use nhip_engine::workflow::{RoleRef, Threshold, Who};

use super::{Lang, Texts};

/// Picks the Vietnamese or the English of a pair of `format!` strings.
macro_rules! say_in {
    ($texts:expr, $vi:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $texts.0 {
            Lang::Vi => format!($vi $(, $arg)*),
            Lang::En => format!($en $(, $arg)*),
        }
    };
}

impl Texts {
    /// Why the fold refused an event.
    pub fn refusal(&self, refusal: &Refusal) -> String {
        match refusal {
            Refusal::NotAdministrator { actor, unit } => say_in!(
                self,
                "{actor} không phải quản trị của {unit}",
                "{actor} does not administer {unit}"
            ),
            Refusal::NoRoleInLine { actor, unit } => say_in!(
                self,
                "{actor} không giữ vai trò nào ở {unit} hoặc cấp trên",
                "{actor} holds no role in {unit} or above it"
            ),
            Refusal::InvalidDefinition => say_in!(
                self,
                "định nghĩa quy trình không hợp lệ",
                "the workflow definition is invalid"
            ),
            Refusal::WorkflowExists { workflow, version } => say_in!(
                self,
                "quy trình {workflow} phiên bản {version} đã có với nội dung khác; hãy công bố phiên bản mới",
                "workflow {workflow} version {version} exists with other content; publish a new version"
            ),
            Refusal::UnknownWorkflow { workflow, version } => say_in!(
                self,
                "chưa biết quy trình {workflow} phiên bản {version}",
                "unknown workflow {workflow} version {version}"
            ),
            Refusal::TitleMissing => say_in!(
                self,
                "phải nêu rõ việc (tên nhiệm vụ)",
                "an item needs a title"
            ),
            Refusal::DeadlineMissing { workflow } => say_in!(
                self,
                "{workflow} phải có thời hạn",
                "a {workflow} needs a deadline"
            ),
            Refusal::ItemExists => {
                say_in!(self, "đã có mục với mã này", "an item with this id exists")
            }
            Refusal::MayNotDefineIndicator { actor, unit } => say_in!(
                self,
                "{actor} không được đặt chỉ tiêu cho {unit}",
                "{actor} may not define indicators for {unit}"
            ),
            Refusal::TargetNotPositive => say_in!(
                self,
                "kế hoạch của chỉ tiêu phải lớn hơn 0",
                "an indicator's target must be above zero"
            ),
            Refusal::UnknownIndicator { indicator } => say_in!(
                self,
                "không có chỉ tiêu {indicator}",
                "unknown indicator {indicator}"
            ),
            Refusal::WrongUnit {
                item_unit,
                event_unit,
            } => say_in!(
                self,
                "sự kiện của mục thuộc {item_unit}, không phải {event_unit}",
                "item events are about {item_unit}, not {event_unit}"
            ),
            Refusal::TakesNoPart { actor } => say_in!(
                self,
                "{actor} không tham gia mục này",
                "{actor} takes no part in this item"
            ),
            Refusal::MayNotAssign { actor } => say_in!(
                self,
                "{actor} không được giao lại mục này",
                "{actor} may not assign this item"
            ),
            Refusal::MayNotExtend { actor } => say_in!(
                self,
                "{actor} không được gia hạn mục này",
                "{actor} may not extend this item's deadline"
            ),
            Refusal::MayNotResolve { actor } => say_in!(
                self,
                "{actor} không được giải quyết xung đột của mục này",
                "{actor} may not resolve this item's conflicts"
            ),
            Refusal::ReasonMissing => say_in!(
                self,
                "gia hạn phải nêu lý do",
                "an extension needs a reason"
            ),
            Refusal::NoTransition { transition } => say_in!(
                self,
                "quy trình không có bước {transition}",
                "the workflow has no transition {transition}"
            ),
            Refusal::DecidedByVotes { transition } => say_in!(
                self,
                "{transition} được quyết định bằng biểu quyết",
                "{transition} is decided by votes"
            ),
            Refusal::MayNotDecide { actor, transition } => say_in!(
                self,
                "{actor} không được thực hiện {transition}",
                "{actor} may not {transition}"
            ),
            Refusal::DoesNotLeave { transition, state } => say_in!(
                self,
                "{transition} không đi từ trạng thái {state}",
                "{transition} does not leave state {state}"
            ),
            Refusal::CannotBeRefused { transition } => say_in!(
                self,
                "{transition} không thể bị từ chối",
                "{transition} cannot be refused"
            ),
            Refusal::NoSuchConflict => say_in!(
                self,
                "mục không có xung đột này",
                "no such conflict on this item"
            ),
            Refusal::SignatureMissing { actor } => say_in!(
                self,
                "{actor} đã có tài khoản nhưng quyết định không có chữ ký của họ (đăng nhập: nhip login {actor})",
                "{actor} has an account but the decision does not carry their signature (log in: nhip login {actor})"
            ),
            Refusal::SignatureInvalid { actor } => say_in!(
                self,
                "chữ ký của {actor} không khớp với nội dung sự kiện",
                "{actor}'s signature does not match the event's content"
            ),
            Refusal::KeyNotCurrent { actor } => say_in!(
                self,
                "chữ ký không làm bằng khóa hiện hành của {actor}",
                "the signature is not made with {actor}'s current key"
            ),
            Refusal::SetupInvalid { person } => say_in!(
                self,
                "khóa của {person} được công bố không kèm mã thiết lập hợp lệ (chưa dùng, còn hạn)",
                "{person}'s key was published without a valid setup code (unused, unexpired)"
            ),
            Refusal::UnknownNode { node } => say_in!(
                self,
                "không có nút {} nào ghi danh cho đơn vị này",
                "no node {} is enrolled for this unit",
                &node.to_hex()[..8]
            ),
            Refusal::UnknownPerson { person } => say_in!(
                self,
                "chưa đăng ký người {person}",
                "no person {person} is registered"
            ),
        }
    }

    /// What an entry of an item's history did.
    pub fn detail(&self, detail: &Detail) -> String {
        match detail {
            Detail::Created => say_in!(self, "tạo mới", "created"),
            Detail::Fired { transition, note } => {
                say_in!(self, "{transition}{}", "{transition}{}", colon(note))
            }
            Detail::Voted {
                transition,
                approve: true,
                note,
            } => say_in!(
                self,
                "đồng ý {transition}{}",
                "yes to {transition}{}",
                colon(note)
            ),
            Detail::Voted {
                transition,
                approve: false,
                note,
            } => say_in!(
                self,
                "không đồng ý {transition}{}",
                "no to {transition}{}",
                colon(note)
            ),
            Detail::Progressed { percent, note } => {
                say_in!(self, "{percent}%{}", "{percent}%{}", colon(note))
            }
            Detail::Assigned { assignee } => {
                say_in!(self, "giao cho {assignee}", "assigned to {assignee}")
            }
            Detail::Extended { deadline, reason } => say_in!(
                self,
                "gia hạn đến {}{}",
                "extended to {}{}",
                self.date(*deadline),
                colon(reason)
            ),
            Detail::Commented { text } => text.clone(),
            Detail::Linked { .. } => say_in!(self, "liên kết", "linked"),
            Detail::Resolved { note, .. } => say_in!(
                self,
                "giải quyết xung đột{}",
                "conflict resolved{}",
                colon(note)
            ),
        }
    }

    /// A date as people write it here: `31/12/2025`.
    pub fn date(&self, date: nhip_engine::Date) -> String {
        let (year, month, day) = date.to_ymd();
        format!("{day:02}/{month:02}/{year}")
    }

    /// What became of an event on an item.
    pub fn outcome(&self, outcome: &nhip_engine::state::Outcome) -> String {
        use nhip_engine::state::Outcome;
        match outcome {
            Outcome::Applied => say_in!(self, "có hiệu lực", "applied"),
            Outcome::Conflict => say_in!(self, "xung đột", "conflict"),
            Outcome::Late => say_in!(self, "đến muộn", "late"),
            Outcome::Refused(refusal) => {
                say_in!(self, "bị từ chối: {}", "refused: {}", self.refusal(refusal))
            }
        }
    }

    /// Who signed an event.
    pub fn signed_by(&self, name: &str, key: &str) -> String {
        say_in!(
            self,
            "ký bởi {name} (khóa {key}…)",
            "signed by {name} (key {key}…)"
        )
    }

    /// A moment as people write it here, in Vietnam's time: `31/12/2025 14:20`.
    pub fn date_time(&self, unix_ms: u64) -> String {
        let date = nhip_engine::Date::from_unix_ms(unix_ms);
        let local_ms = unix_ms.saturating_add(7 * 3_600_000);
        let minutes = (local_ms / 60_000) % (24 * 60);
        format!(
            "{} {:02}:{:02}",
            self.date(date),
            minutes / 60,
            minutes % 60
        )
    }

    /// The verdict on a decision's personal signature, in the inspectors' register.
    pub fn signature_verdict(&self, verdict: nhip_engine::decisions::SignatureVerdict) -> String {
        use nhip_engine::decisions::SignatureVerdict;
        match verdict {
            SignatureVerdict::Valid => say_in!(self, "chữ ký hợp lệ", "signature valid"),
            SignatureVerdict::NotRequired => say_in!(
                self,
                "không ký (người này chưa có tài khoản)",
                "unsigned (the person had no account yet)"
            ),
            SignatureVerdict::Missing => say_in!(
                self,
                "THIẾU chữ ký — bị từ chối",
                "signature MISSING — refused"
            ),
            SignatureVerdict::Invalid => say_in!(
                self,
                "chữ ký SAI — bị từ chối",
                "signature INVALID — refused"
            ),
            SignatureVerdict::KeyNotCurrent => say_in!(
                self,
                "khóa KHÔNG CÒN hiệu lực — bị từ chối",
                "key NOT CURRENT — refused"
            ),
        }
    }

    /// The column headers of the inspectors' register of decisions.
    pub fn decisions_header(&self) -> [String; 14] {
        let vi = [
            "Thời điểm ghi",
            "Đơn vị",
            "Người quyết định",
            "Mã cán bộ",
            "Loại sự kiện",
            "Việc",
            "Mã việc",
            "Nội dung",
            "Khóa ký",
            "Chữ ký",
            "Kết quả",
            "Nút ghi",
            "Mã sự kiện",
            "Mã băm sự kiện",
        ];
        let en = [
            "Written",
            "Unit",
            "Decided by",
            "Person code",
            "Event kind",
            "Item",
            "Item id",
            "What",
            "Signing key",
            "Signature",
            "Outcome",
            "Written at node",
            "Event id",
            "Event hash",
        ];
        match self.0 {
            Lang::Vi => vi.map(str::to_owned),
            Lang::En => en.map(str::to_owned),
        }
    }

    /// An item's event whose item this log does not hold (it never applied here).
    pub fn dangling(&self) -> String {
        say_in!(
            self,
            "chưa áp dụng: sổ này không có việc đó",
            "not applied: this log does not hold its item"
        )
    }

    /// An event no person signed.
    pub fn unsigned(&self) -> String {
        say_in!(self, "không có chữ ký cá nhân", "no personal signature")
    }

    /// "written" in a history line.
    pub fn written(&self) -> String {
        say_in!(self, "ghi", "written")
    }

    /// "received" in a history line.
    pub fn received(&self) -> String {
        say_in!(self, "nhận", "received")
    }

    /// "from" (a node) in a history line.
    pub fn from_node(&self) -> String {
        say_in!(self, "từ", "from")
    }

    /// Beside a history entry a person signed: the key, short.
    pub fn signed_with(&self, key: &str) -> String {
        say_in!(self, " — ký, khóa {key}", " — signed, key {key}")
    }

    /// What two events on an item both tried to change.
    pub fn aspect(&self, aspect: Aspect) -> String {
        match aspect {
            Aspect::State => say_in!(self, "trạng thái", "state"),
            Aspect::Deadline => say_in!(self, "thời hạn", "deadline"),
            Aspect::Assignee => say_in!(self, "người thực hiện", "assignee"),
        }
    }

    /// Why an event lost against another on the same item.
    pub fn conflict_why(&self, why: &ConflictWhy) -> String {
        match why {
            ConflictWhy::Moved {
                transition,
                written_for,
                found,
            } => say_in!(
                self,
                "{transition} được ghi khi mục ở trạng thái {written_for}, nhưng mục đã sang {found}",
                "{transition} was written for state {written_for}, but the item had moved to {found}"
            ),
            ConflictWhy::VotedAfterMove {
                transition,
                approve,
                found,
            } => {
                let vote = match (self.0, approve) {
                    (Lang::Vi, true) => "đồng ý",
                    (Lang::Vi, false) => "không đồng ý",
                    (Lang::En, true) => "yes",
                    (Lang::En, false) => "no",
                };
                say_in!(
                    self,
                    "phiếu {vote} về {transition} đến sau khi mục đã sang {found}",
                    "a {vote} vote on {transition} came after the item had moved to {found}"
                )
            }
            ConflictWhy::ExtendedTwice => say_in!(
                self,
                "thời hạn được gia hạn hai lần cùng lúc",
                "the deadline was extended twice at once"
            ),
            ConflictWhy::AssignedTwice => say_in!(
                self,
                "mục được giao hai lần cùng lúc",
                "assigned twice at once"
            ),
        }
    }

    /// Who a rule names: roles, as people write them in a definition.
    pub fn who(&self, who: &Who) -> String {
        let roles = |roles: &[RoleRef]| {
            roles
                .iter()
                .map(|role| self.role(role))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match who {
            Who::OneOf(list) => roles(list),
            Who::AllOf(list) => say_in!(self, "tất cả: {}", "all of: {}", roles(list)),
            Who::Quorum { role, threshold } => {
                let threshold = match (self.0, threshold) {
                    (Lang::Vi, Threshold::Majority) => "quá nửa".to_owned(),
                    (Lang::Vi, Threshold::TwoThirds) => "hai phần ba".to_owned(),
                    (Lang::Vi, Threshold::AtLeast(count)) => format!("ít nhất {count} phiếu"),
                    (Lang::En, Threshold::Majority) => "a majority".to_owned(),
                    (Lang::En, Threshold::TwoThirds) => "two thirds".to_owned(),
                    (Lang::En, Threshold::AtLeast(count)) => format!("at least {count} votes"),
                };
                say_in!(
                    self,
                    "{threshold} thành viên {role} biểu quyết",
                    "{threshold} of the {role} members voting yes"
                )
            }
        }
    }

    /// A role reference.
    pub fn role(&self, role: &RoleRef) -> String {
        match role {
            RoleRef::Assignee => say_in!(self, "người thực hiện", "the assignee"),
            RoleRef::Creator => say_in!(self, "người tạo", "the creator"),
            RoleRef::InLine(role) => role.clone(),
            RoleRef::Above(role) => say_in!(self, "{role} cấp trên", "{role} above"),
            RoleRef::Lead(role) => {
                say_in!(self, "{role} đơn vị chủ trì", "{role} of the lead unit")
            }
        }
    }

    /// Where an escalation goes.
    pub fn escalate_to(&self, to: &EscalateTo) -> String {
        match to {
            EscalateTo::Role(role) => role.clone(),
            EscalateTo::ParentUnit => say_in!(self, "đơn vị cấp trên", "the parent unit"),
        }
    }

    /// What is wrong with a field of a command.
    pub fn problem(&self, problem: &Problem) -> String {
        match problem {
            Problem::NameMissing => say_in!(self, "cần có tên", "a name is needed"),
            Problem::NotARoleCode(role) => say_in!(
                self,
                "{role:?} không phải mã vai trò (a-z, 0-9, '-')",
                "{role:?} is not a role code (a-z, 0-9, '-')"
            ),
            Problem::Definition(errors) => errors.clone(),
            Problem::TitleMissing => {
                say_in!(self, "phải nêu rõ việc", "the work must be named (rõ việc)")
            }
            Problem::DeadlineMissing(workflow) => say_in!(
                self,
                "{workflow} phải có thời hạn (rõ thời gian)",
                "a {workflow} needs a deadline (rõ thời gian)"
            ),
            Problem::SeveralApprovals => say_in!(
                self,
                "mục đang chờ nhiều bước duyệt: hãy nêu một",
                "the item waits for several approvals: name one"
            ),
            Problem::RefusalNeedsNote => say_in!(
                self,
                "trả lại phải nêu lý do",
                "say why the item is sent back"
            ),
            Problem::PercentRange => say_in!(self, "từ 0 đến 100", "0 to 100"),
            Problem::ReasonMissing => say_in!(
                self,
                "gia hạn phải nêu lý do",
                "an extension needs a reason"
            ),
            Problem::DeadlineNotLater => say_in!(
                self,
                "thời hạn mới phải sau thời hạn hiện tại",
                "a new deadline must be later than the current one"
            ),
            Problem::Empty => say_in!(self, "đang trống", "it is empty"),
            Problem::UnknownIndicator(code) => {
                say_in!(self, "không có chỉ tiêu {code:?}", "no indicator {code:?}")
            }
            Problem::DecisionMissing => say_in!(
                self,
                "ghi lại điều đã quyết định",
                "record what was decided"
            ),
        }
    }

    /// A refused command, in words for the person at the desk.
    pub fn command_error(&self, error: &CommandError) -> String {
        match error {
            CommandError::UnknownItem(id) => say_in!(
                self,
                "Không có mục {id} trên nút này.",
                "No item {id} is known on this node."
            ),
            CommandError::UnknownWorkflow(id, known) => say_in!(
                self,
                "Không có quy trình {id:?}. Các quy trình có: {}.",
                "No workflow {id:?}; known ones: {}.",
                known.join(", ")
            ),
            CommandError::WorkflowNotHere { workflow, version } => say_in!(
                self,
                "Nút này chưa có quy trình {workflow} phiên bản {version}; đồng bộ rồi thử lại.",
                "Workflow {workflow} version {version} is not known on this node yet; sync and try again."
            ),
            CommandError::NotNow {
                transition,
                state,
                available,
            } => say_in!(
                self,
                "Không thể {transition:?} khi đang ở trạng thái {state:?}. Có thể làm: {}.",
                "{transition:?} cannot be done in state {state:?}; possible now: {}.",
                available.join(", ")
            ),
            CommandError::NotAllowed {
                refusal,
                who,
                people,
            } => {
                let reason = self.refusal(refusal);
                let people = people
                    .iter()
                    .map(|(code, name)| format!("{name} ({code})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                match who {
                    None => say_in!(self, "Không được phép: {reason}.", "Not allowed: {reason}."),
                    Some(who) if people.is_empty() => say_in!(
                        self,
                        "Không được phép: {reason}. Người có quyền: {} — hiện chưa ai giữ vai trò này ở đây.",
                        "Not allowed: {reason}. Who may: {} — no one holds these roles here yet.",
                        self.who(who)
                    ),
                    Some(who) => say_in!(
                        self,
                        "Không được phép: {reason}. Người có quyền: {} — {people}.",
                        "Not allowed: {reason}. Who may: {} — {people}.",
                        self.who(who)
                    ),
                }
            }
            CommandError::Finished { state } => say_in!(
                self,
                "Mục đã kết thúc (trạng thái {state:?}); không thay đổi được nữa.",
                "The item is finished (state {state:?}); nothing more can change it."
            ),
            CommandError::IsApproval { transition } => say_in!(
                self,
                "{transition} là bước duyệt: hãy đồng ý hoặc trả lại (nhip task approve/reject).",
                "{transition} is an approval: approve or refuse it instead (nhip task approve/reject)."
            ),
            CommandError::NoApprovalWaiting { state } => say_in!(
                self,
                "Mục không chờ duyệt ở trạng thái {state}.",
                "The item waits for no approval in state {state}."
            ),
            CommandError::ChangedMeanwhile => say_in!(
                self,
                "Mục vừa thay đổi; hãy xem lại rồi thử lại.",
                "The item changed meanwhile; look at it again."
            ),
            CommandError::Invalid { field, problem } => say_in!(
                self,
                "Trường {field}: {}.",
                "{field}: {}.",
                self.problem(problem)
            ),
            CommandError::Refused(refusal) => say_in!(
                self,
                "Bị từ chối: {}.",
                "Refused: {}.",
                self.refusal(refusal)
            ),
        }
    }
}

/// `": note"`, or nothing for an empty note.
fn colon(note: &str) -> String {
    if note.trim().is_empty() {
        String::new()
    } else {
        format!(": {note}")
    }
}
