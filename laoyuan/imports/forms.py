from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from laoyuan.imports.services import check_upload
from laoyuan.imports.xlsx import MAX_FILE_BYTES, MAX_ROWS_PER_SHEET, WorkbookError


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Registry workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("Up to %(mb)s MB and %(rows)s rows per sheet.") % {
            "mb": MAX_FILE_BYTES // (1024 * 1024),
            "rows": f"{MAX_ROWS_PER_SHEET:,}",
        }

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        try:
            check_upload(file_name=upload.name or "", size=upload.size or 0)
        except WorkbookError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload
