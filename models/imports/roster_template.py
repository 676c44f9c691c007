"""The roster's columns (with the headers people write for each), the help HR reads about
them, and the empty template workbook; docs/roster-format.md says the same."""

from __future__ import annotations

from models.imports.table import Column

# --- the columns -------------------------------------------------------------------------

# Field names are ROSTER_FIELDS plus "active"; the canonical header comes first and is what
# the template uses. Earlier aliases win when a file has two columns for one field (so
# "Mã đơn vị" beats "Đơn vị" when both are present).
ROSTER_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_code",
        "Mã cán bộ",
        (
            "Ma CB",
            "Mã CBCCVC",
            "Mã công chức",
            "Mã viên chức",
            "Mã nhân viên",
            "Mã số cán bộ",
            "Số hiệu cán bộ",
            "Số hiệu công chức",
            "Mã số",
            "employee_code",
            "employee code",
        ),
        required=True,
    ),
    Column(
        "full_name",
        "Họ và tên",
        (
            "Họ tên",
            "Họ và tên cán bộ",
            "Tên cán bộ",
            "full_name",
            "full name",
            "name",
        ),
        required=True,
    ),
    Column("gender", "Giới tính", ("Phái", "gender", "sex")),
    Column(
        "birth_date",
        "Ngày sinh",
        (
            "Ngày tháng năm sinh",
            "Ngày, tháng, năm sinh",
            "Sinh ngày",
            "birth_date",
            "date of birth",
            "dob",
        ),
    ),
    Column(
        "phone",
        "Số điện thoại",
        (
            "Điện thoại",
            "Điện thoại di động",
            "Di động",
            "SĐT",
            "Số ĐT",
            "ĐTDĐ",
            "phone",
            "mobile",
            "phone number",
        ),
    ),
    Column("email", "Email", ("Thư điện tử", "E-mail", "Địa chỉ email")),
    Column(
        "category",
        "Đối tượng",
        (
            "Loại",
            "Phân loại",
            "Loại cán bộ",
            "Cán bộ/Công chức/Viên chức",
            "CB/CC/VC",
            "category",
        ),
        required=True,
    ),
    Column(
        "unit_code",
        "Mã đơn vị",
        (
            "unit_code",
            "unit code",
            "Đơn vị",
            "Đơn vị công tác",
            "Tên đơn vị",
            "Cơ quan, đơn vị",
            "Cơ quan",
            "unit",
        ),
        required=True,
    ),
    Column("level", "Cấp", ("Cấp hành chính", "Cấp đơn vị", "level")),
    Column(
        "rank_code",
        "Mã ngạch",
        (
            "Ngạch",
            "Mã ngạch công chức",
            "Mã ngạch/chức danh",
            "rank_code",
            "rank code",
        ),
    ),
    Column(
        "rank_tier",
        "Tên ngạch",
        (
            "Ngạch tương đương",
            "Hạng ngạch",
            "Loại ngạch",
            "Ngạch công chức",
            "rank_tier",
            "rank tier",
        ),
    ),
    Column(
        "professional_title_code",
        "Mã chức danh nghề nghiệp",
        (
            "Mã CDNN",
            "Mã chức danh",
            "Chức danh nghề nghiệp",
            "professional_title_code",
        ),
    ),
    Column(
        "rank_assigned_on",
        "Ngày bổ nhiệm ngạch",
        (
            "Ngày bổ nhiệm ngạch/chức danh",
            "Ngày giữ ngạch",
            "Ngày vào ngạch",
            "rank_assigned_on",
        ),
    ),
    Column(
        "post_title",
        "Chức vụ",
        (
            "Chức vụ hiện tại",
            "Chức vụ, chức danh",
            "Chức vụ/chức danh",
            "post_title",
            "post",
        ),
    ),
    Column(
        "leadership_tier",
        "Cấp lãnh đạo",
        (
            "Chức vụ lãnh đạo",
            "Cấp chức vụ",
            "Nhóm chức vụ lãnh đạo",
            "leadership_tier",
        ),
    ),
    Column(
        "leadership_appointed_on",
        "Ngày bổ nhiệm chức vụ",
        (
            "Ngày bổ nhiệm",
            "Ngày bổ nhiệm lãnh đạo",
            "Ngày bổ nhiệm chức vụ lãnh đạo",
            "leadership_appointed_on",
        ),
    ),
    Column(
        "education_level",
        "Trình độ chuyên môn",
        (
            "Trình độ",
            "Trình độ đào tạo",
            "TĐCM",
            "education_level",
            "education",
        ),
    ),
    Column(
        "professional_field_matches_post",
        "Chuyên ngành phù hợp vị trí",
        (
            "Chuyên ngành phù hợp",
            "Chuyên môn phù hợp vị trí",
            "Ngành đào tạo phù hợp",
            "professional_field_matches_post",
        ),
    ),
    Column(
        "political_theory_level",
        "Lý luận chính trị",
        (
            "Trình độ lý luận chính trị",
            "LLCT",
            "Trình độ LLCT",
            "political_theory_level",
        ),
    ),
    Column("ethnicity", "Dân tộc", ("ethnicity",)),
    Column(
        "languages",
        "Tiếng dân tộc",
        (
            "Tiếng dân tộc thiểu số",
            "Tiếng DTTS",
            "Ngôn ngữ dân tộc",
            "languages",
        ),
    ),
    Column(
        "started_service_on",
        "Ngày tuyển dụng",
        (
            "Ngày bắt đầu công tác",
            "Ngày vào cơ quan",
            "Ngày vào ngành",
            "started_service_on",
        ),
    ),
    Column(
        "preferred_locale",
        "Ngôn ngữ nhận tin",
        (
            "Ngôn ngữ giao tiếp",
            "preferred_locale",
            "locale",
        ),
    ),
    Column(
        "id_number",
        "Số định danh cá nhân",
        (
            "Số ĐDCN",
            "Số định danh",
            "Mã định danh cá nhân",
            "Số CCCD",
            "CCCD",
            "Số căn cước công dân",
            "Số căn cước",
            "Căn cước công dân",
            "id_number",
        ),
    ),
    Column("active", "Đang công tác", ("Còn công tác", "Trạng thái", "active")),
)


def roster_template_xlsx() -> bytes:
    """An empty roster with the Vietnamese headers, and a sheet explaining each column."""
    from models.imports.templates import template_xlsx

    return template_xlsx(ROSTER_COLUMNS, sheet_name="Danh sách cán bộ", help=COLUMN_HELP)


# Vietnamese help for HR (the template and docs/roster-format.md say the same).
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "employee_code": ("Mã cán bộ do cơ quan quản lý cấp, không trùng nhau", "CB000123"),
    "full_name": ("Họ và tên đầy đủ, có dấu", "Lò Thị Nhung"),
    "gender": ("nam / nữ", "nữ"),
    "birth_date": ("dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd hoặc ô ngày của Excel", "05/09/1990"),
    "phone": ("Số di động hoặc cố định Việt Nam; lưu dạng +84…", "0912 345 678"),
    "email": ("Địa chỉ thư điện tử", "nhung.lt@snv.gov.vn"),
    "category": ("cán bộ / công chức / viên chức (hoặc CB / CC / VC)", "công chức"),
    "unit_code": ("Mã đơn vị trong danh mục; hoặc tên đơn vị nếu không trùng", "T99-X01"),
    "level": ("tỉnh / xã / trung ương; để trống thì lấy cấp của đơn vị", "xã"),
    "rank_code": ("Mã ngạch công chức", "01.003"),
    "rank_tier": (
        "chuyên viên cao cấp / chuyên viên chính / chuyên viên / cán sự / nhân viên "
        "(hoặc CVCC / CVC / CV)",
        "chuyên viên",
    ),
    "professional_title_code": ("Mã chức danh nghề nghiệp viên chức", "V.07.01.03"),
    "rank_assigned_on": ("Ngày, như cột Ngày sinh", "01/07/2015"),
    "post_title": ("Chức vụ hoặc chức danh đang giữ", "Công chức Văn phòng – Thống kê"),
    "leadership_tier": (
        "phó trưởng phòng / trưởng phòng / phó giám đốc sở / giám đốc sở / "
        "lãnh đạo chủ chốt xã / lãnh đạo chủ chốt tỉnh / quản lý đơn vị sự "
        "nghiệp; để trống nếu không giữ chức vụ lãnh đạo",
        "trưởng phòng",
    ),
    "leadership_appointed_on": ("Ngày, như cột Ngày sinh", "15/03/2021"),
    "education_level": (
        "không / sơ cấp / trung cấp / cao đẳng / đại học / thạc sĩ / tiến sĩ",
        "đại học",
    ),
    "professional_field_matches_post": ("có / không (x, yes/no, 1/0 cũng được)", "có"),
    "political_theory_level": ("không / sơ cấp / trung cấp / cao cấp", "trung cấp"),
    "ethnicity": ("Tên dân tộc", "Thái"),
    "languages": (
        "Các tiếng dân tộc thiểu số sử dụng được, ngăn cách bằng , ; hoặc /",
        "Thái, Mông",
    ),
    "started_service_on": ("Ngày, như cột Ngày sinh", "01/10/2012"),
    "preferred_locale": ("vi / en; để trống nếu không có yêu cầu riêng", "vi"),
    "id_number": (
        "12 chữ số trên thẻ căn cước (CCCD); không bắt buộc. Chữ số thứ 4 và hai chữ số"
        " 5–6 phải khớp giới tính và năm sinh; khi mã cán bộ đổi, hệ thống tìm người theo"
        " số này và cập nhật mã",
        "011190001234",
    ),
    "active": ("có / không; để trống thì giữ nguyên (người mới: đang công tác)", "có"),
}
TEMPLATE_FORMATS: dict[str, str] = {
    "employee_code": "@",
    "phone": "@",
    "unit_code": "@",
    "rank_code": "@",
    "professional_title_code": "@",
    "id_number": "@",
    "birth_date": "dd/mm/yyyy",
    "rank_assigned_on": "dd/mm/yyyy",
    "leadership_appointed_on": "dd/mm/yyyy",
    "started_service_on": "dd/mm/yyyy",
}
