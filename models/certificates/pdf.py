"""The certificate as a one-page landscape A4 PDF, in the reader's language (the caller
sets it with use_locale), with the fonts, page set-up and QR helper of the rollout kit.

Only what the certificate needs: name, unit, course, dates, periods, result, the issuing
organiser, the code, the QR of the verification link and the expiry date where there is
one. The document's metadata repeat the code and the link, so a program (or a test) can
find them without reading the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from locales import _, format_date, format_number
from models.certificates import codes
from models.certificates.store import Certificate
from models.chat.rollout_kit import dejavu_pdf, fitted_cell, qr_png
from models.courses.registrations import RegStatus

if TYPE_CHECKING:
    from fpdf import FPDF


def verification_link(bot_username: str | None, code: str) -> str | None:
    """https://t.me/<bot>?start=xm_<code>: opening it asks the assistant to verify."""
    return f"https://t.me/{bot_username}?start=xm_{code}" if bot_username else None


def result_label(result: str) -> str:
    if result == RegStatus.COMPLETED:
        return _("Completed")
    return _("Attended in full")


def certificate_lines(certificate: Certificate) -> list[tuple[str, str]]:
    """(label, value) rows under the name, in the order printed."""
    rows = [
        (_("Unit"), certificate.unit_name),
        (_("Course"), f"{certificate.course_title} ({certificate.course_code})"),
        (
            _("Dates"),
            _("from {start} to {end}").format(
                start=format_date(certificate.starts_on), end=format_date(certificate.ends_on)
            ),
        ),
    ]
    if certificate.periods:
        rows.append((_("Periods"), format_number(certificate.periods)))
    rows.append((_("Result"), result_label(certificate.result)))
    rows.append((_("Issued by"), certificate.organiser))
    rows.append((_("Date of issue"), format_date(certificate.issued_on)))
    if certificate.expires_on is not None:
        rows.append((_("Valid until"), format_date(certificate.expires_on)))
    return rows


def certificate_pdf(certificate: Certificate, *, bot_username: str | None) -> bytes:
    shown = codes.display(certificate.code)
    link = verification_link(bot_username, certificate.code)
    pdf = dejavu_pdf(_("Certificate {code}").format(code=shown), orientation="L")
    pdf.set_author(certificate.organiser)
    pdf.set_subject(link or shown)
    pdf.set_keywords(shown)
    pdf.add_page()
    pdf.set_draw_color(120, 90, 30)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, 275, 188)

    pdf.set_xy(20, 18)
    pdf.set_font("DejaVu", "B", 12)
    fitted_cell(pdf, 257, 7, certificate.organiser.upper(), 12)
    pdf.set_xy(20, 36)
    pdf.set_font("DejaVu", "B", 30)
    pdf.cell(257, 14, _("CERTIFICATE"), align="C")
    pdf.set_xy(20, 51)
    pdf.set_font("DejaVu", "", 15)
    pdf.cell(257, 8, _("of completion of a training course"), align="C")
    pdf.set_xy(20, 66)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(257, 6, _("Awarded to"), align="C")
    pdf.set_xy(20, 73)
    pdf.set_font("DejaVu", "B", 22)
    fitted_cell_centered(pdf, certificate.full_name)

    top = 92.0
    for label, value in certificate_lines(certificate):
        pdf.set_xy(40, top)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(45, 7, label + ":")
        pdf.set_font("DejaVu", "B", 11)
        fitted_cell(pdf, 175, 7, value, 11)
        top += 8.5

    pdf.image(qr_png(link or shown), x=238, y=150, w=38, h=38)
    pdf.set_xy(20, 172)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(200, 7, _("Verification code: {code}").format(code=shown))
    pdf.set_xy(20, 180)
    pdf.set_font("DejaVu", "", 9.5)
    fitted_cell(
        pdf,
        210,
        6,
        _(
            "To verify: scan the QR code, or send /xacminh {code} to the Trợ lý Bồi dưỡng "
            "assistant."
        ).format(code=shown),
        9.5,
    )
    return bytes(pdf.output())


def fitted_cell_centered(pdf: FPDF, text: str) -> None:
    """The name on one centred line, set smaller when it is long."""
    size = 22.0
    while size > 12 and pdf.get_string_width(text) > 250:
        size -= 1
        pdf.set_font_size(size)
    pdf.cell(257, 11, text, align="C")
