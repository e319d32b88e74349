"""moto_server with CloudFormation's asynchronous change-set semantics.

The deploy tests (deploy/tests/*.rs) run the gateway's CloudFormation flow against moto. moto
5.2 executes a change set synchronously inside ExecuteChangeSet, records only stack-level events,
never computes the stack's outputs after a change set, and answers a resource that fails to
create with an HTTP error instead of a CREATE_FAILED event and a rollback. This wrapper keeps
moto's own resource models (what gets created, what fails, with moto's messages) and changes
only how CloudFormation reports it, as the real service does:

- ExecuteChangeSet and DeleteStack return at once; the work runs in a thread while the stack is
  *_IN_PROGRESS, and one event per resource (IN_PROGRESS, then COMPLETE or FAILED, with the
  physical id and moto's error as the reason) appears every SWITCHBOARD_MOTO_EVENT_DELAY seconds;
- outputs are computed after a change set;
- a resource that fails to create rolls the stack back (ROLLBACK_COMPLETE, created resources
  deleted); a failed update ends UPDATE_ROLLBACK_COMPLETE (moto cannot restore the old state,
  so the tests only look at the reported events and status);
- a resource that cannot be deleted ends the deletion in DELETE_FAILED with moto's reason (moto
  does not delete a NAT gateway or an internet gateway attachment, so a stack's own new VPC
  "has dependencies and cannot be deleted": the failure real CloudFormation reports when
  something outside the stack still uses the VPC);
- a deleted stack is still found by its id during deletion, and by name until it is gone;
- a List or CommaDelimitedList parameter reads back as CloudFormation writes it, "a,b" (moto
  gives Python's repr of its list, which an update with UsePreviousValue then cannot parse);
- an update leaves alone a resource whose condition is false (moto "modifies" it when a
  parameter it references is given, and fails on what its condition left out);
- CreateChangeSet takes a change set that changes nothing (CloudFormation then fails the change
  set, "didn't contain changes"); moto refused it at once, as UpdateStack does.

Usage: python moto_server.py [moto_server arguments], e.g. ``-H 127.0.0.1 -p 5000``.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from moto.cloudformation import models, parsing, responses

DELAY = float(os.environ.get("SWITCHBOARD_MOTO_EVENT_DELAY", "0.02"))

# What the resource map touched, in order, during one operation: [logical id, type, verb,
# the resource (None: not created)]; and the resource that failed, if one did.
_log = threading.local()


def _record(verb):
    def wrap(fn):
        def inner(logical_id, resource_json, *args, **kwargs):
            trace = getattr(_log, "trace", None)
            entry = [logical_id, resource_json.get("Type", ""), verb, None]
            if trace is not None:
                trace.append(entry)
            try:
                entry[3] = fn(logical_id, resource_json, *args, **kwargs)
                if entry[3] is None and entry[1] in parsing.NULL_MODELS and _holds(resource_json, args[0]):
                    # moto keeps no model of a WaitConditionHandle; CloudFormation creates one.
                    entry[3] = _NullResource(logical_id)
            except Exception:
                # The innermost resource that raised is the one that failed (a Ref can create
                # a dependency while its dependent is being created).
                if getattr(_log, "failed", None) is None:
                    _log.failed = logical_id
                raise
            return entry[3]

        return inner

    return wrap


class _NullResource:
    def __init__(self, logical_id):
        self.logical_resource_id = logical_id
        self.physical_resource_id = f"https://cloudformation-waitcondition.example/{logical_id}"

    def delete(self, account_id, region_name):
        pass


def _holds(resource_json, resources_map) -> bool:
    condition = resource_json.get("Condition")
    return not condition or bool(resources_map.lazy_condition_map[condition])


parsing.parse_and_create_resource = _record("CREATE")(parsing.parse_and_create_resource)
parsing.parse_and_update_resource = _record("UPDATE")(parsing.parse_and_update_resource)

_orig_delete_resource = parsing.ResourceMap._delete_resource


def _delete_resource(self, parsed_resource, resource_json):
    trace = getattr(_log, "trace", None)
    entry = [parsed_resource.logical_resource_id, resource_json.get("Type", ""), "DELETE", parsed_resource]
    try:
        _orig_delete_resource(self, parsed_resource, resource_json)
    except Exception as e:
        # moto retries in passes; the last resource that could not be deleted is reported.
        _log.failed = (entry, getattr(e, "message", None) or str(e))
        raise
    if trace is not None:
        trace.append(entry)


parsing.ResourceMap._delete_resource = _delete_resource

_orig_build_resource_diff = parsing.ResourceMap.build_resource_diff


def _build_resource_diff(self, other_template, parameters=None):
    actions = _orig_build_resource_diff(self, other_template, parameters)
    resources = other_template["Resources"]
    actions["Modify"] = [name for name in actions["Modify"] if _holds(resources[name], self)]
    return actions


parsing.ResourceMap.build_resource_diff = _build_resource_diff


def _physical_id(resource) -> str:
    return str(getattr(resource, "physical_resource_id", "") or "") if resource is not None else ""


def _event(stack, logical_id, resource_type, status, reason=None, physical_id=""):
    event = models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id,
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    stack.events.append(event)
    time.sleep(DELAY)


def _replay(stack, trace, failed=None, reason=None):
    """One IN_PROGRESS and one COMPLETE (or FAILED, for the failed resource) event per resource."""
    for logical_id, rtype, verb, resource in trace:
        if logical_id == failed:
            _event(stack, logical_id, rtype, f"{verb}_IN_PROGRESS")
            _event(stack, logical_id, rtype, f"{verb}_FAILED", reason)
            return
        if resource is None:
            continue  # a resource whose condition is false (or that moto does not model)
        _event(stack, logical_id, rtype, f"{verb}_IN_PROGRESS")
        _event(stack, logical_id, rtype, f"{verb}_COMPLETE", physical_id=_physical_id(resource))


def _execute(backend, change_set, stack):
    kind = change_set.change_set_type  # CREATE or UPDATE
    _log.trace = trace = []
    _log.failed = None
    try:
        change_set.apply()
    except Exception as e:  # noqa: BLE001 - moto's error is the resource's failure reason
        reason = getattr(e, "message", None) or str(e)
        failed = _log.failed or stack.name
        _replay(stack, trace, failed, reason)
        if kind == "CREATE":
            stack.status = "ROLLBACK_IN_PROGRESS"
            _event(stack, stack.name, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
                   f"The following resource(s) failed to create: [{failed}]. Rollback requested by user.",
                   stack.stack_id)
            _log.trace = deleted = []
            try:
                stack.resource_map.delete()
            except Exception:  # noqa: BLE001 - best effort, like a rollback that leaves nothing
                pass
            for logical_id, rtype, _, resource in deleted:
                _event(stack, logical_id, rtype, "DELETE_COMPLETE", physical_id=_physical_id(resource))
            stack.status = "ROLLBACK_COMPLETE"
            _event(stack, stack.name, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", None, stack.stack_id)
        else:
            stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
            _event(stack, stack.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
                   f"The following resource(s) failed to update: [{failed}].", stack.stack_id)
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
            _event(stack, stack.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", None, stack.stack_id)
        change_set.execution_status = "EXECUTE_FAILED"
        return
    finally:
        _log.trace = None
    _replay(stack, trace)
    stack.template = change_set.template
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    stack.status = f"{kind}_COMPLETE"
    _event(stack, stack.name, "AWS::CloudFormation::Stack", f"{kind}_COMPLETE", None, stack.stack_id)
    change_set.execution_status = "EXECUTE_COMPLETE"


def execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.describe_change_set(change_set_name)
    stack = self.stacks[change_set.stack_id]
    kind = change_set.change_set_type
    stack.status = f"{kind}_IN_PROGRESS"
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    stack._add_stack_event(f"{kind}_IN_PROGRESS", resource_status_reason="User Initiated")
    threading.Thread(target=_execute, args=(self, change_set, stack), daemon=True).start()


def _delete(backend, stack):
    _log.trace = trace = []
    _log.failed = None
    try:
        stack.resource_map.delete()
        failure = None
    except Exception as e:  # noqa: BLE001
        failure = _log.failed or ([stack.name, "AWS::CloudFormation::Stack", "DELETE", None],
                                  getattr(e, "message", None) or str(e))
    finally:
        _log.trace = None
    for logical_id, rtype, _, resource in trace:
        _event(stack, logical_id, rtype, "DELETE_IN_PROGRESS", physical_id=_physical_id(resource))
        _event(stack, logical_id, rtype, "DELETE_COMPLETE", physical_id=_physical_id(resource))
    if failure is not None:
        (logical_id, rtype, _, resource), reason = failure
        _event(stack, logical_id, rtype, "DELETE_IN_PROGRESS", physical_id=_physical_id(resource))
        _event(stack, logical_id, rtype, "DELETE_FAILED", reason, _physical_id(resource))
        stack.status = "DELETE_FAILED"
        _event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_FAILED",
               f"The following resource(s) failed to delete: [{logical_id}].", stack.stack_id)
        return
    backend.stacks.pop(stack.stack_id, None)
    for export in stack.exports:
        backend.exports.pop(export.name, None)
    stack.status = "DELETE_COMPLETE"
    backend.deleted_stacks[stack.stack_id] = stack
    _event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_COMPLETE", None, stack.stack_id)


def delete_stack(self, name_or_stack_id):
    stack = next((s for s in self.stacks.values() if name_or_stack_id in (s.stack_id, s.name)), None)
    if stack is None or stack.status == "DELETE_IN_PROGRESS":
        return  # like CloudFormation: deleting a missing (or already deleting) stack succeeds
    stack.status = "DELETE_IN_PROGRESS"
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    threading.Thread(target=_delete, args=(self, stack), daemon=True).start()


def _as_text(value):
    return ",".join(str(v) for v in value) if isinstance(value, list) else value


def _stack_parameters(self):
    return {k: _as_text(v) for k, v in self.resource_map.resolved_parameters.items()}


def _parameter_list(self):
    hidden = self.resource_map.no_echo_parameter_keys
    return [{"ParameterKey": k, "ParameterValue": "****" if k in hidden else v}
            for k, v in _stack_parameters(self).items()]


models.CloudFormationBackend.execute_change_set = execute_change_set
models.CloudFormationBackend.delete_stack = delete_stack
_orig_create_change_set = responses.CloudFormationResponse.create_change_set


def _create_change_set(self):
    self._validate_different_update = lambda *args, **kwargs: None
    return _orig_create_change_set(self)


responses.CloudFormationResponse.create_change_set = _create_change_set
models.Stack.stack_parameters = property(_stack_parameters)
models.Stack.parameter_list = property(_parameter_list)

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
