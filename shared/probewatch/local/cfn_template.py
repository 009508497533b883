"""Read infra/template.yaml and resolve its intrinsic functions for the local stack.

Only what the local stack needs: the CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) are
read as `{"Ref": ...}` / `{"Fn::...": ...}` dicts, then `Resolver` evaluates them against
parameter values, pseudo parameters and a callback that names (or creates) a resource.
An intrinsic it does not know raises `TemplateError` rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from probewatch.errors import ProbewatchError

TEMPLATE_PATH = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"


class TemplateError(ProbewatchError):
    """The template uses something the local stack cannot evaluate."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":  # !GetAtt Res.Attr is the short form of [Res, Attr]
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path | None = None) -> dict[str, Any]:
    with open(path or TEMPLATE_PATH, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


# A resource is referenced as (logical id, attribute or None for Ref).
ResourceLookup = Callable[[str, str | None], Any]

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class Resolver:
    """Evaluates intrinsic functions; resources are looked up through `resource`."""

    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, str],
        pseudo: dict[str, str],
        resource: ResourceLookup,
    ) -> None:
        self.template = template
        self.resource = resource
        self.values: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            if name in parameters:
                self.values[name] = parameters[name]
            elif "Default" in spec:
                self.values[name] = spec["Default"]
        self.values.update({f"AWS::{key}": value for key, value in pseudo.items()})

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, arg)
        return {key: self.resolve(item) for key, item in value.items()}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self._ref(arg)
        if key == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.resource(logical_id, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(item) for item in self.resolve(items))
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = self.resolve(arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        raise TemplateError(f"the local stack cannot evaluate {key}")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return None
        if name in self.values:
            return self.values[name]
        if name in self.template.get("Resources", {}):
            return self.resource(name, None)
        raise TemplateError(f"Ref to unknown name {name!r} (missing parameter value?)")

    def _sub(self, arg: Any) -> str:
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.resource(logical_id, attribute))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)
