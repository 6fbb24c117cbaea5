"""The provider options of the settings dialog, generated from the provider's spec: one field per option
(a list for options with choices), its default as placeholder and its help as tooltip.

The values are stored as the provider's ``key=value; …`` options setting (read back by
:func:`~scene_picker.ui.providers_info.provider_options`); the ``url`` option has the dialog's own field.
"""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from ..catalogs import ProviderSpec, option_text
from ..core.errors import ScenePickerError
from .providers_info import parse_provider_options

#: Options with a field of their own in the dialog (the catalog URL).
OWN_FIELDS = frozenset({"url"})


class ProviderOptionsForm(QWidget):
    """``set_spec(spec, text)`` builds the fields; ``text()`` gives the options setting back."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("providerOptions")
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        #: Option name -> its field (a QLineEdit, or a QComboBox for options with choices or booleans).
        self.fields: dict[str, QLineEdit | QComboBox] = {}

    def set_spec(self, spec: ProviderSpec, text: str) -> None:
        """Fields for ``spec``'s options, filled from the stored options ``text`` (unreadable text: empty)."""
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.fields = {}
        try:
            stored = parse_provider_options(text)
        except ScenePickerError:
            stored = {}
        for option in spec.options:
            if option.name in OWN_FIELDS or option.secret:  # a secret belongs in the keyring
                continue
            value = option_text(stored.get(option.name))
            choices = option.choices or (("true", "false") if option.type == "bool" else ())
            if choices:
                field: QLineEdit | QComboBox = QComboBox(self)
                field.addItem(self.tr("default ({})").format(option_text(option.default)), "")
                for choice in choices:
                    field.addItem(choice, choice)
                field.setCurrentIndex(max(field.findData(value), 0))
            else:
                field = QLineEdit(self)
                field.setPlaceholderText(option_text(option.default) or self.tr("not set"))
                field.setText(value)
            field.setObjectName(f"option_{option.name}")
            field.setToolTip(option.describe())
            self.fields[option.name] = field
            self.layout_.addRow(option.name, field)

    def values(self) -> dict[str, str]:
        """The options the user set (empty fields and "default" choices left out)."""
        out = {}
        for name, field in self.fields.items():
            value = field.currentData() if isinstance(field, QComboBox) else field.text().strip()
            if value:
                out[name] = value
        return out

    def text(self) -> str:
        """The options as the ``key=value; …`` setting."""
        return "; ".join(f"{name}={value}" for name, value in self.values().items())
