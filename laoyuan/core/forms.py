"""Form helpers shared by the apps."""

from django.core.exceptions import ValidationError
from django.forms import Form


def apply_service_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: errors keyed by a field the form has go on
    that field, the rest (and errors without a field) on the form as a whole."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)
