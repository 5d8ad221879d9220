//! The office app's words, by key, in Vietnamese and English: the page asks for them all at
//! once (`/app/words`) and shows nothing else. `{name}` marks what the page fills in.

use std::collections::BTreeMap;

use super::Lang;

/// (key, Vietnamese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("login_title", "Đăng nhập", "Log in"),
    (
        "login_person",
        "Mã cán bộ hoặc họ tên",
        "Person code or full name",
    ),
    ("login_passphrase", "Mật khẩu", "Passphrase"),
    ("login_first_time", "Lần đầu sử dụng?", "First time here?"),
    (
        "login_setup_code",
        "Mã thiết lập (do quản trị viên cấp)",
        "Setup code (from your administrator)",
    ),
    (
        "login_setup_hint",
        "Nhập mã thiết lập và chọn mật khẩu của mình (ít nhất 12 ký tự). Từ đó, mọi quyết định của đồng chí được ký bằng khóa riêng.",
        "Enter the setup code and choose your passphrase (at least 12 characters). From then on, every decision you make is signed with your own key.",
    ),
    ("login_button", "Đăng nhập", "Log in"),
    ("logout", "Đăng xuất", "Log out"),
    ("nav_work", "Việc của tôi", "My work"),
    ("nav_items", "Nhiệm vụ", "Tasks"),
    ("nav_new", "Giao việc mới", "New task"),
    ("nav_hub", "Tổng quan đơn vị", "Overview of units"),
    ("sync_online", "Đã kết nối cấp trên", "Connected upward"),
    (
        "sync_offline",
        "Chưa kết nối cấp trên",
        "Not connected upward",
    ),
    ("sync_last", "đồng bộ lần cuối {when}", "last synced {when}"),
    (
        "sync_pending",
        "{n} sự kiện chờ gửi",
        "{n} events waiting to go up",
    ),
    ("sync_now", "Đồng bộ ngay", "Sync now"),
    (
        "offline_banner",
        "Đang làm việc ngoại tuyến — dữ liệu sẽ được gửi khi có mạng.",
        "Working offline — your work will be sent when the network is back.",
    ),
    (
        "search_person",
        "Gõ tên, ví dụ: tien thinh",
        "Type a name, e.g. tien thinh",
    ),
    (
        "search_unit",
        "Gõ tên đơn vị, ví dụ: ban na ri",
        "Type a unit's name, e.g. ban na ri",
    ),
    ("remove", "Bỏ", "Remove"),
    ("no_match", "Không tìm thấy", "No match"),
    ("days_late", "quá hạn {n} ngày", "{n} days late"),
    ("days_left", "còn {n} ngày", "{n} days left"),
    ("col_work", "Nội dung công việc", "Work"),
    ("col_person", "Người thực hiện", "Person responsible"),
    ("col_unit", "Đơn vị", "Unit"),
    ("col_lead", "Đơn vị chủ trì", "Lead unit"),
    ("col_coordinating", "Đơn vị phối hợp", "Coordinating units"),
    ("col_deadline", "Thời hạn", "Deadline"),
    ("col_state", "Tình trạng", "State"),
    ("col_percent", "Tiến độ", "Progress"),
    ("waiting", "chờ duyệt", "waiting for approval"),
    ("conflict", "xung đột", "conflict"),
    ("work_title", "Việc của đồng chí {name}", "Work of {name}"),
    (
        "unsigned_note",
        "Nút này chưa có tài khoản nào: việc được ghi nhân danh người mặc định của nút, không có chữ ký cá nhân.",
        "This node has no accounts yet: work is recorded as the node's default person, without a personal signature.",
    ),
    (
        "work_empty",
        "Không có việc nào đang chờ đồng chí.",
        "Nothing waits for you.",
    ),
    (
        "why_approve",
        "Chờ đồng chí duyệt hoặc biểu quyết",
        "Waiting for your approval or vote",
    ),
    (
        "why_conflict",
        "Xung đột cần giải quyết",
        "Conflicts to resolve",
    ),
    ("why_overdue", "Quá hạn", "Overdue"),
    ("why_due_soon", "Sắp đến hạn", "Due soon"),
    ("why_mine", "Việc được giao cho đồng chí", "Assigned to you"),
    ("why_my_unit", "Việc của đơn vị", "Your units' work"),
    ("show_all", "Tất cả", "All"),
    ("show_open", "Đang thực hiện", "Open"),
    ("show_overdue", "Quá hạn", "Overdue"),
    ("show_waiting", "Chờ duyệt", "Waiting for approval"),
    ("show_conflicts", "Có xung đột", "With conflicts"),
    ("show_finished", "Đã kết thúc", "Finished"),
    ("sort_deadline", "Theo thời hạn", "By deadline"),
    ("sort_title", "Theo nội dung", "By work"),
    ("sort_unit", "Theo đơn vị", "By unit"),
    ("sort_state", "Theo tình trạng", "By state"),
    ("filter_search", "Tìm theo nội dung", "Search the work"),
    ("filter_show", "Hiển thị", "Show"),
    ("filter_sort", "Sắp xếp", "Sort"),
    ("filter_unit", "Đơn vị", "Unit"),
    ("filter_apply", "Lọc", "Filter"),
    ("items_title", "Nhiệm vụ", "Tasks"),
    ("export_csv", "Xuất tệp CSV (Excel)", "Export CSV (Excel)"),
    (
        "items_count",
        "Hiển thị {shown} trên {matched} mục.",
        "Showing {shown} of {matched}.",
    ),
    ("new_title", "Giao việc mới", "New task"),
    (
        "new_hint",
        "Rõ việc, rõ người, rõ đơn vị chủ trì, phối hợp, rõ thời gian.",
        "The work, the person, the lead and coordinating units, the deadline.",
    ),
    ("new_workflow", "Loại việc", "Kind of work"),
    ("new_description", "Chi tiết", "Details"),
    ("new_create", "Giao việc", "Create"),
    ("item_creator", "Người giao", "Created by"),
    ("item_parent", "Thuộc chương trình", "Part of"),
    ("item_indicator", "Chỉ tiêu", "Indicator"),
    ("step_note", "Ý kiến, ghi chú", "Comment or note"),
    (
        "who_may",
        "Chỉ {who} được làm việc này.",
        "Only {who} may do this.",
    ),
    ("voted_yes", "đồng chí đã đồng ý", "you voted yes"),
    ("voted_no", "đồng chí đã không đồng ý", "you voted no"),
    ("vote_yes", "Đồng ý", "Approve"),
    ("vote_no", "Không đồng ý, trả lại", "Refuse and send back"),
    ("item_actions", "Thao tác", "Actions"),
    (
        "item_no_steps",
        "Việc đã kết thúc.",
        "This work is finished.",
    ),
    ("progress_title", "Báo cáo tiến độ", "Report progress"),
    ("progress_note", "Đã làm được gì", "What was done"),
    ("progress_button", "Báo cáo", "Report"),
    ("comment_title", "Góp ý", "Comment"),
    ("comment_button", "Gửi góp ý", "Send"),
    ("extend_title", "Gia hạn", "Extend the deadline"),
    ("extend_reason", "Lý do", "Why"),
    ("extend_button", "Gia hạn", "Extend"),
    ("assign_title", "Giao cho người khác", "Reassign"),
    ("assign_button", "Giao việc", "Assign"),
    ("resolve_note", "Quyết định xử lý", "The decision"),
    (
        "resolve_button",
        "Ghi nhận đã xử lý",
        "Record the resolution",
    ),
    (
        "written_received",
        "ghi lúc {written}, nhận lúc {received}",
        "written {written}, received {received}",
    ),
    (
        "unsigned",
        "không có chữ ký cá nhân",
        "no personal signature",
    ),
    ("item_conflicts", "Xung đột", "Conflicts"),
    ("item_history", "Diễn biến", "Timeline"),
    ("hub_items", "Tổng số việc", "Items"),
    ("hub_overdue", "Quá hạn", "Overdue"),
    ("hub_due_soon", "Sắp đến hạn", "Due soon"),
    ("hub_waiting", "Chờ duyệt", "Waiting for approval"),
    ("hub_conflicts", "Xung đột", "Conflicts"),
    (
        "hub_stale",
        "Đơn vị lâu không liên lạc",
        "Units silent for long",
    ),
    ("hub_done", "Hoàn thành", "Done"),
    ("hub_last_seen", "Liên lạc lần cuối", "Last heard from"),
    ("unknown", "chưa rõ", "unknown"),
    ("silent_since", "im lặng từ {when}", "silent since {when}"),
    ("hub_title", "Tổng quan: {name}", "Overview: {name}"),
    (
        "hub_overdue_list",
        "Việc quá hạn ở các đơn vị",
        "Overdue work across units",
    ),
    (
        "hub_waiting_list",
        "Việc chờ duyệt",
        "Work waiting for approval",
    ),
    ("hub_units", "Các đơn vị", "Units"),
    ("none", "Không có.", "None."),
];

/// Every word of the app in `lang`.
pub fn app_words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(key, vi, en)| {
            (
                *key,
                match lang {
                    Lang::Vi => *vi,
                    Lang::En => *en,
                },
            )
        })
        .collect()
}
