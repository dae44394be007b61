"""The AWS account, read with boto3: :func:`capture` saves a snapshot folder, :func:`fetch_live`
reads only what a check needs.

Both make read-only calls (``describe_*``, ``list_*``, ``get_*``: anything else is refused before
it is sent), paginated with boto3's paginators, with botocore's adaptive retry mode absorbing
throttling.  Every response becomes the document the AWS CLI would print (the response without
``ResponseMetadata``, timestamps as ISO 8601 strings); :func:`capture` writes each to a file,
:func:`fetch_live` passes them in memory through :func:`.snapshot.build_snapshot`, the parser
:func:`.snapshot.read_snapshot` uses, so a live check and a check of a saved snapshot of the same
account read the same facts.

boto3 is an optional extra (``pip install 'ecsnetpolicy[aws]'``), imported only when a function
here is called.  Nothing here writes credentials: the files hold the describe/list/get outputs
and a ``meta.json`` (account ID, region, time, filters, the command behind each file).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import stat
import tempfile
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..phrasing import safe
from .snapshot import META_FILE, AccountSnapshot, build_snapshot

INSTALL_HINT = "pip install 'ecsnetpolicy[aws]'"
TOOL = "ecsnetpolicy"
MAX_ATTEMPTS = 10  # botocore retries (adaptive mode: client-side rate limiting on throttling)
FILTER_CHUNK = 200  # values per EC2 filter
SSM_CHUNK = 10  # names per ssm get-parameters (the API's limit)
IAM_FILTER = ["Role", "LocalManagedPolicy"]  # AWS managed policies are known by name; users and groups are not needed
_READ_ONLY = re.compile(r"^(describe|list|get)_[a-z0-9_]+$")
# Errors that mean "this principal may not make this call": the kind is left out (not captured) and named in meta.json.
_DENIED = frozenset(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                     "AuthorizationError", "OptInRequired", "UnrecognizedClientException"])
_NOT_FOUND = re.compile(r"(NotFound|^InvalidServiceName|^NoSuchEntity|^ParameterNotFound|^ResourceNotFoundException)$")

Warn = Callable[[str], None]


class AwsError(Exception):
    """An AWS call, credentials or output folder problem; str() is one line."""

    def __init__(self, message: str):
        super().__init__(safe(message, 1000))


# --------------------------------------------------------------------------- boto3, lazily


def _boto():
    try:
        import boto3  # noqa: F401 - optional extra
        import botocore.config  # noqa: F401
        import botocore.exceptions  # noqa: F401
    except ImportError:
        raise AwsError(f"reading the AWS account needs boto3, which is not installed: {INSTALL_HINT}") from None
    return boto3, botocore


def _session(region: str, profile: Optional[str], session: Any) -> Any:
    boto3, botocore = _boto()
    if session is not None:
        return session
    try:
        return boto3.session.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise AwsError(f"AWS profile {profile!r} not found in the AWS configuration") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(f"cannot start an AWS session: {exc}") from None


def _iso(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not JSON: {type(value).__name__}")


def cli_shape(response: Dict[str, Any]) -> Dict[str, Any]:
    """A boto3 response as the AWS CLI prints it: without ResponseMetadata, timestamps as ISO
    8601 strings (a JSON round trip, so live and saved documents are the same plain data)."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(body, default=_iso))


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def _command(service: str, op: str, kwargs: Dict[str, Any]) -> str:
    """The AWS CLI command equivalent to a call (for meta.json, origins and messages)."""
    parts = ["aws", service, op.replace("_", "-")]
    for key, value in kwargs.items():
        parts.append("--" + _kebab(key))
        if isinstance(value, (list, tuple)) and value and all(isinstance(f, dict) for f in value):
            parts.extend(",".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in f.items()) for f in value)
        elif isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value)
        else:
            parts.append(str(value))
    return " ".join(parts)


class _Calls:
    """The calls of one capture or fetch: clients, retries, pagination and the denied calls."""

    def __init__(self, session: Any, region: str, warn: Optional[Warn]):
        _, botocore = _boto()
        self.botocore = botocore
        self.session = session
        self.region = region
        self.warn = warn
        self.clients: Dict[str, Any] = {}
        self.errors: List[Dict[str, str]] = []
        self.config = botocore.config.Config(retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
                                             connect_timeout=10, read_timeout=60, user_agent_extra=TOOL)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            try:
                self.clients[service] = self.session.client(service, region_name=self.region, config=self.config)
            except self.botocore.exceptions.BotoCoreError as exc:
                raise AwsError(f"cannot create the AWS {service} client: {exc}") from None
        return self.clients[service]

    def call(self, service: str, op: str, missing_ok: bool = False, **kwargs: Any) -> Optional[Dict[str, Any]]:
        """The CLI-shaped result of one call (all pages); None when the call is denied (recorded
        and warned) or, with `missing_ok`, when AWS says the resource does not exist."""
        if not _READ_ONLY.match(op):  # defence in depth: this module only reads
            raise AwsError(f"refusing a call that is not read-only: {service} {op}")
        command = _command(service, op, kwargs)
        client = self.client(service)
        exc_mod = self.botocore.exceptions
        try:
            if client.can_paginate(op):
                response = client.get_paginator(op).paginate(**kwargs).build_full_result()
            else:
                response = getattr(client, op)(**kwargs)
        except exc_mod.ClientError as exc:
            error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
            code = str(error.get("Code", "") or "")
            message = str(error.get("Message", "") or "")
            if missing_ok and (_NOT_FOUND.search(code) or (code == "ValidationError" and "does not exist" in message)):
                return None
            if code in _DENIED:
                self.errors.append({"command": command, "code": code})
                if self.warn is not None:
                    self.warn(safe(f"{command}: {code}: not allowed; what it reads stays unknown "
                                   "(see docs/aws-snapshot.md for the IAM policy)", 1000))
                return None
            raise AwsError(f"{command}: {code or 'error'}: {message}") from None
        except (exc_mod.NoCredentialsError, exc_mod.PartialCredentialsError):
            raise AwsError("no AWS credentials found: name a profile (--profile) or set AWS_PROFILE, "
                           "or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables") from None
        except exc_mod.NoRegionError:
            raise AwsError("no AWS region: give --region") from None
        except exc_mod.BotoCoreError as exc:
            raise AwsError(f"{command}: {exc}") from None
        return cli_shape(response)

    def command(self, service: str, op: str, **kwargs: Any) -> str:
        return _command(service, op, kwargs)

    # -- EC2 helpers

    def ec2_filtered(self, op: str, key: str, name: Optional[str], values: Optional[Iterable[str]],
                     filter_param: str = "Filters") -> Tuple[str, Optional[Dict[str, Any]]]:
        """(command, document) of an EC2 describe call, filtered by `name` in chunks of values
        (one document, the chunks' lists joined); unfiltered when `values` is None."""
        if values is None:
            return self.command("ec2", op), self.call("ec2", op)
        vals = sorted(set(values))
        command = self.command("ec2", op, **{filter_param: [{"Name": name, "Values": vals}]})
        if not vals:
            return command, {key: []}
        merged: Optional[Dict[str, Any]] = None
        for i in range(0, len(vals), FILTER_CHUNK):
            doc = self.call("ec2", op, **{filter_param: [{"Name": name, "Values": vals[i:i + FILTER_CHUNK]}]})
            if doc is None:
                return command, None
            merged = doc if merged is None else _join(merged, doc, key)
        return command, merged

    def by_ids(self, service: str, op: str, key: str, param: str, ids: Iterable[str]) -> Tuple[str, Optional[Dict[str, Any]]]:
        """(command, document) of a describe call by IDs: one call, or one per ID when AWS says
        one of them does not exist (those are left out)."""
        vals = sorted(set(ids))
        command = self.command(service, op, **{param: vals})
        if not vals:
            return command, {key: []}
        denied = len(self.errors)
        doc = self.call(service, op, missing_ok=True, **{param: vals})
        if doc is not None:
            return command, doc
        if len(self.errors) > denied:  # denied, not missing: not captured
            return command, None
        if len(vals) == 1:
            return command, {key: []}
        merged: Dict[str, Any] = {key: []}
        for v in vals:
            one = self.call(service, op, missing_ok=True, **{param: [v]})
            if one is not None:
                merged = _join(merged, one, key)
        return command, merged


def _join(a: Dict[str, Any], b: Dict[str, Any], key: str) -> Dict[str, Any]:
    out = dict(a)
    out[key] = list(a.get(key) or []) + list(b.get(key) or [])
    return out


def _ids(doc: Optional[Dict[str, Any]], key: str, field: str) -> List[str]:
    if not doc:
        return []
    return [item[field] for item in doc.get(key) or [] if isinstance(item, dict) and isinstance(item.get(field), str)]


def _referenced_prefix_lists(docs: Iterable[Optional[Dict[str, Any]]]) -> Set[str]:
    out: Set[str] = set()
    for doc in docs:
        for rt in (doc or {}).get("RouteTables") or []:
            out.update(r["DestinationPrefixListId"] for r in rt.get("Routes") or [] if r.get("DestinationPrefixListId"))
        for sg in (doc or {}).get("SecurityGroups") or []:
            for perm in (sg.get("IpPermissions") or []) + (sg.get("IpPermissionsEgress") or []):
                out.update(p["PrefixListId"] for p in perm.get("PrefixListIds") or [] if p.get("PrefixListId"))
    return out


def _referenced_groups(doc: Optional[Dict[str, Any]]) -> Set[str]:
    out: Set[str] = set()
    for sg in (doc or {}).get("SecurityGroups") or []:
        for perm in (sg.get("IpPermissions") or []) + (sg.get("IpPermissionsEgress") or []):
            out.update(p["GroupId"] for p in perm.get("UserIdGroupPairs") or [] if p.get("GroupId"))
    return out


# --------------------------------------------------------------------------- the calls


Doc = Tuple[str, str, Optional[Dict[str, Any]]]  # (file name, command, document or None when denied)


def _account(calls: _Calls) -> str:
    ident = calls.call("sts", "get_caller_identity")
    account = (ident or {}).get("Account")
    if not isinstance(account, str):
        raise AwsError("aws sts get-caller-identity: the caller's account could not be read")
    return account


def _vpc_docs(calls: _Calls, vpc_ids: Optional[Sequence[str]], vpcs_doc: Optional[Dict[str, Any]]) -> List[Doc]:
    """The VPC-scoped calls, for `vpc_ids` (None: the whole region)."""
    out: List[Doc] = []
    for file, op, key, name, param in (
        ("subnets.json", "describe_subnets", "Subnets", "vpc-id", "Filters"),
        ("route-tables.json", "describe_route_tables", "RouteTables", "vpc-id", "Filters"),
        ("network-acls.json", "describe_network_acls", "NetworkAcls", "vpc-id", "Filters"),
        ("security-groups.json", "describe_security_groups", "SecurityGroups", "vpc-id", "Filters"),
        ("vpc-endpoints.json", "describe_vpc_endpoints", "VpcEndpoints", "vpc-id", "Filters"),
        ("nat-gateways.json", "describe_nat_gateways", "NatGateways", "vpc-id", "Filter"),
        ("internet-gateways.json", "describe_internet_gateways", "InternetGateways", "attachment.vpc-id", "Filters"),
    ):
        command, doc = calls.ec2_filtered(op, key, name, vpc_ids, param)
        out.append((file, command, doc))
    found = _ids(vpcs_doc, "Vpcs", "VpcId") if vpcs_doc is not None else list(vpc_ids or [])
    dhcp = None
    if vpc_ids is not None:
        dhcp = [d for d in _ids(vpcs_doc, "Vpcs", "DhcpOptionsId") if d.startswith("dopt-")]
    command, doc = calls.ec2_filtered("describe_dhcp_options", "DhcpOptions", "dhcp-options-id", dhcp)
    out.append(("dhcp-options.json", command, doc))
    for vpc in sorted(set(found)):
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            kwargs = {"VpcId": vpc, "Attribute": attribute}
            out.append((f"vpc-attribute-{vpc}-{attribute}.json", calls.command("ec2", "describe_vpc_attribute", **kwargs),
                        calls.call("ec2", "describe_vpc_attribute", **kwargs)))
    return out


def _prefix_list_docs(calls: _Calls, ids: Optional[Iterable[str]]) -> List[Doc]:
    """describe-prefix-lists (AWS-managed lists with CIDRs), describe-managed-prefix-lists and the
    entries of every list whose CIDRs the first did not give; for `ids` only (None: all)."""
    out: List[Doc] = []
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            return out
    command, plain = calls.ec2_filtered("describe_prefix_lists", "PrefixLists", "prefix-list-id", ids)
    out.append(("prefix-lists.json", command, plain))
    command, managed = calls.ec2_filtered("describe_managed_prefix_lists", "PrefixLists", "prefix-list-id", ids)
    out.append(("managed-prefix-lists.json", command, managed))
    with_cidrs = {p["PrefixListId"] for p in (plain or {}).get("PrefixLists") or [] if p.get("Cidrs")}
    for pl in sorted(set(_ids(managed, "PrefixLists", "PrefixListId")) - with_cidrs):
        kwargs = {"PrefixListId": pl}
        out.append((f"prefix-list-entries-{pl}.json", calls.command("ec2", "get_managed_prefix_list_entries", **kwargs),
                    calls.call("ec2", "get_managed_prefix_list_entries", missing_ok=True, **kwargs)))
    return out


def _ssm_docs(calls: _Calls, names: Optional[Iterable[str]]) -> List[Doc]:
    """ssm get-parameters for `names` (None: every String and StringList parameter, listed with
    describe-parameters).  Never with decryption: SecureString values are not read."""
    if names is None:
        listing = calls.call("ssm", "describe_parameters",
                             ParameterFilters=[{"Key": "Type", "Option": "Equals", "Values": ["String", "StringList"]}])
        if listing is None:
            return [("ssm-parameters.json", calls.command("ssm", "get_parameters"), None)]
        names = _ids(listing, "Parameters", "Name")
    names = sorted(set(names))
    command = calls.command("ssm", "get_parameters", Names=names)
    merged: Dict[str, Any] = {"Parameters": [], "InvalidParameters": []}
    for i in range(0, len(names), SSM_CHUNK):
        doc = calls.call("ssm", "get_parameters", Names=names[i:i + SSM_CHUNK])
        if doc is None:
            return [("ssm-parameters.json", command, None)]
        merged = {"Parameters": merged["Parameters"] + list(doc.get("Parameters") or []),
                  "InvalidParameters": merged["InvalidParameters"] + list(doc.get("InvalidParameters") or [])}
    return [("ssm-parameters.json", command, merged)]


def _account_docs(calls: _Calls) -> List[Doc]:
    """The region-wide, non-EC2 calls of a capture."""
    out: List[Doc] = []
    command, doc = calls.ec2_filtered("describe_vpc_endpoint_services", "ServiceDetails", None, None)
    out.append(("vpc-endpoint-services.json", command, doc))
    for file, service, op, kwargs in (
        ("exports.json", "cloudformation", "list_exports", {}),
        ("stacks.json", "cloudformation", "describe_stacks", {}),
        ("log-groups.json", "logs", "describe_log_groups", {}),
        ("iam-authorization-details.json", "iam", "get_account_authorization_details", {"Filter": IAM_FILTER}),
    ):
        out.append((file, calls.command(service, op, **kwargs), calls.call(service, op, **kwargs)))
    out.extend(_ssm_docs(calls, None))
    return out


# --------------------------------------------------------------------------- capture


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _previous_snapshot(folder: str) -> bool:
    """A folder this command wrote before: a meta.json naming this tool, and nothing but regular
    JSON files (so replacing it loses nothing of the user's)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    for name in names:
        st = os.lstat(os.path.join(folder, name))
        if not stat.S_ISREG(st.st_mode) or not name.endswith(".json"):
            return False
    try:
        with open(os.path.join(folder, META_FILE), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("tool") == TOOL


def _check_out_dir(out_dir: str) -> None:
    if os.path.islink(out_dir):
        raise AwsError(f"{out_dir}: is a symbolic link; give a new folder or a previous snapshot folder")
    if not os.path.exists(out_dir):
        return
    if not os.path.isdir(out_dir):
        raise AwsError(f"{out_dir}: exists and is not a folder")
    if os.listdir(out_dir) and not _previous_snapshot(out_dir):
        raise AwsError(f"{out_dir}: the folder is not empty and is not a snapshot this command wrote; "
                       "give a new or empty folder (nothing was written)")


def _write(out_dir: str, files: Dict[str, Dict[str, Any]]) -> None:
    """All files into a new folder beside `out_dir`, then renamed into place: a reader never sees a
    half-written snapshot; a previous snapshot there is replaced only once the new one is complete."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(out_dir)
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=parent)
    old: Optional[str] = None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        for name, doc in files.items():
            with open(os.path.join(tmp, name), "x", encoding="utf-8", newline="\n") as f:
                json.dump(doc, f, indent=4, ensure_ascii=False)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
        _check_out_dir(out_dir)  # again: it may have changed during the calls
        if os.path.exists(out_dir):
            if os.listdir(out_dir):
                old = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
                os.rmdir(old)
                os.rename(out_dir, old)
            else:
                os.rmdir(out_dir)
        os.rename(tmp, out_dir)
        tmp = ""
    except OSError as exc:
        if old is not None and not os.path.exists(out_dir):
            os.rename(old, out_dir)
            old = None
        raise AwsError(f"{out_dir}: cannot write the snapshot: {exc.strerror or exc}") from None
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def capture(region: str, *, vpc_ids: Sequence[str] = (), profile: Optional[str] = None, out_dir: Any,
            session: Any = None, warn: Optional[Warn] = None) -> List[str]:
    """Save a snapshot of `region` (only `vpc_ids`' VPC-scoped resources when given) into
    `out_dir`: one JSON file per AWS CLI command plus meta.json.  `out_dir` must be new, empty,
    or a snapshot this function wrote before (replaced whole).  Returns the file names written.
    A call the credentials may not make is left out (warned, listed in meta.json's ``errors``)."""
    out_dir = os.fspath(out_dir)
    _check_out_dir(out_dir)  # before any call
    calls = _Calls(_session(region, profile, session), region, warn)
    account = _account(calls)
    filtered = sorted(set(vpc_ids)) if vpc_ids else None
    docs: List[Doc] = []
    command, vpcs = calls.ec2_filtered("describe_vpcs", "Vpcs", "vpc-id", filtered)
    docs.append(("vpcs.json", command, vpcs))
    if filtered and vpcs is not None:
        unknown = sorted(set(filtered) - set(_ids(vpcs, "Vpcs", "VpcId")))
        if unknown and warn is not None:
            warn(safe(f"{', '.join(unknown)}: no such VPC in {region} (account {account})", 1000))
    docs.extend(_vpc_docs(calls, filtered, vpcs))
    docs.extend(_prefix_list_docs(calls, None))
    docs.extend(_account_docs(calls))
    files: Dict[str, Dict[str, Any]] = {}
    commands: Dict[str, str] = {}
    for name, command, doc in docs:
        if doc is not None:
            files[name] = doc
            commands[name] = command
    meta = {"tool": TOOL, "region": region, "account_id": account, "time": _now(),
            "filters": {"vpc_ids": filtered or []}, "files": commands, "errors": calls.errors}
    files[META_FILE] = meta
    _write(out_dir, files)
    return sorted(files)


# --------------------------------------------------------------------------- live


def _role_docs(calls: _Calls, names: Iterable[str]) -> Optional[Dict[str, Any]]:
    """A get-account-authorization-details document (RoleDetailList and the customer managed
    Policies they attach) built from iam get-role / list-role-policies / get-role-policy /
    list-attached-role-policies / get-policy / get-policy-version for the roles named."""
    roles: List[Dict[str, Any]] = []
    policy_arns: Set[str] = set()
    for name in sorted(set(names)):
        before = len(calls.errors)
        got = calls.call("iam", "get_role", missing_ok=True, RoleName=name)
        if got is None:
            if len(calls.errors) > before:  # denied: roles not captured
                return None
            continue
        role = dict(got.get("Role") or {})
        inline = []
        listed = calls.call("iam", "list_role_policies", RoleName=name)
        if listed is None:
            return None
        for pname in listed.get("PolicyNames") or []:
            pol = calls.call("iam", "get_role_policy", missing_ok=True, RoleName=name, PolicyName=pname)
            if pol is not None:
                inline.append({"PolicyName": pname, "PolicyDocument": pol.get("PolicyDocument")})
        attached = calls.call("iam", "list_attached_role_policies", RoleName=name)
        if attached is None:
            return None
        role["RolePolicyList"] = inline
        role["AttachedManagedPolicies"] = list(attached.get("AttachedPolicies") or [])
        roles.append(role)
        policy_arns.update(a["PolicyArn"] for a in role["AttachedManagedPolicies"] if a.get("PolicyArn"))
    policies: List[Dict[str, Any]] = []
    for arn in sorted(policy_arns):
        if arn.split(":")[4:5] == ["aws"]:  # AWS managed: known by name, as in a capture
            continue
        got = calls.call("iam", "get_policy", missing_ok=True, PolicyArn=arn)
        if got is None:
            continue
        policy = dict(got.get("Policy") or {})
        version = calls.call("iam", "get_policy_version", missing_ok=True, PolicyArn=arn, VersionId=policy.get("DefaultVersionId", ""))
        policy["PolicyVersionList"] = [version["PolicyVersion"]] if version and version.get("PolicyVersion") else []
        policies.append(policy)
    return {"RoleDetailList": roles, "Policies": policies}


def _role_name(value: str) -> str:
    """A role name from a name or a role ARN (arn:aws:iam::123456789012:role/path/name)."""
    if value.startswith("arn:") and ":role/" in value:
        return value.rsplit("/", 1)[-1]
    return value


def fetch_live(region: str, *, profile: Optional[str] = None, subnet_ids: Iterable[str] = (),
               security_group_ids: Iterable[str] = (), vpc_ids: Iterable[str] = (), route_table_ids: Iterable[str] = (),
               vpc_endpoint_ids: Iterable[str] = (), network_acl_ids: Iterable[str] = (), nat_gateway_ids: Iterable[str] = (),
               internet_gateway_ids: Iterable[str] = (), prefix_list_ids: Iterable[str] = (),
               service_names: Iterable[str] = (), export_names: Iterable[str] = (), stack_names: Iterable[str] = (),
               ssm_names: Iterable[str] = (), log_group_names: Iterable[str] = (), roles: Iterable[str] = (),
               session: Any = None, warn: Optional[Warn] = None) -> AccountSnapshot:
    """The same calls as :func:`capture`, only for the IDs given and what they lead to: their VPCs
    (with all their subnets, route tables, network ACLs, endpoints, NAT and internet gateways,
    DNS attributes and DHCP options), the security groups given or used by those endpoints (and
    the groups their rules reference), the prefix lists routes and rules use, the endpoint
    services of those endpoints.  `roles` takes names or ARNs.  The documents go through the
    snapshot parser in memory; an ID asked for and not returned is known absent."""
    subnet_ids, security_group_ids, vpc_ids = set(subnet_ids), set(security_group_ids), set(vpc_ids)
    route_table_ids, vpc_endpoint_ids, network_acl_ids = set(route_table_ids), set(vpc_endpoint_ids), set(network_acl_ids)
    nat_gateway_ids, internet_gateway_ids = set(nat_gateway_ids), set(internet_gateway_ids)
    prefix_list_ids, service_names = set(prefix_list_ids), set(service_names)
    export_names, stack_names, ssm_names = set(export_names), set(stack_names), set(ssm_names)
    log_group_names, roles = set(log_group_names), set(roles)
    calls = _Calls(_session(region, profile, session), region, warn)
    account = _account(calls)
    docs: List[Doc] = []

    def add(command: str, doc: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        docs.append(("", command, doc))
        return doc

    vpcs_wanted = set(vpc_ids)
    if subnet_ids:
        vpcs_wanted.update(_ids(add(*calls.ec2_filtered("describe_subnets", "Subnets", "subnet-id", subnet_ids)), "Subnets", "VpcId"))
    asked_groups = None
    if security_group_ids:
        asked_groups = add(*calls.ec2_filtered("describe_security_groups", "SecurityGroups", "group-id", security_group_ids))
        vpcs_wanted.update(_ids(asked_groups, "SecurityGroups", "VpcId"))
    for ids, op, key, param in ((route_table_ids, "describe_route_tables", "RouteTables", "RouteTableIds"),
                                (vpc_endpoint_ids, "describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointIds"),
                                (network_acl_ids, "describe_network_acls", "NetworkAcls", "NetworkAclIds"),
                                (nat_gateway_ids, "describe_nat_gateways", "NatGateways", "NatGatewayIds"),
                                (internet_gateway_ids, "describe_internet_gateways", "InternetGateways", "InternetGatewayIds")):
        if ids:
            doc = add(*calls.by_ids("ec2", op, key, param, ids))
            vpcs_wanted.update(_ids(doc, key, "VpcId"))
            for igw in (doc or {}).get("InternetGateways") or []:
                vpcs_wanted.update(a["VpcId"] for a in igw.get("Attachments") or [] if a.get("VpcId"))
    vpc_list = sorted(vpcs_wanted)
    vpcs_doc = None
    vpc_docs: List[Doc] = []
    if vpc_list:
        vpcs_doc = add(*calls.ec2_filtered("describe_vpcs", "Vpcs", "vpc-id", vpc_list))
        vpc_docs = _vpc_docs(calls, vpc_list, vpcs_doc)
        docs.extend(vpc_docs)
    by_file = {file: doc for file, _, doc in vpc_docs}
    endpoints = by_file.get("vpc-endpoints.json")
    # security groups: those of the VPCs (above), those asked for, those the VPCs' endpoints use
    # (an endpoint may use a group of another VPC only through peering: fetched too), and those
    # their rules reference (one level)
    vpc_groups = by_file.get("security-groups.json")
    have = set(_ids(asked_groups, "SecurityGroups", "GroupId")) | set(_ids(vpc_groups, "SecurityGroups", "GroupId"))
    wanted = set()
    for ep in (endpoints or {}).get("VpcEndpoints") or []:
        wanted.update(g["GroupId"] for g in ep.get("Groups") or [] if g.get("GroupId"))
    more = wanted - have - security_group_ids
    fetched = add(*calls.ec2_filtered("describe_security_groups", "SecurityGroups", "group-id", more)) if more else None
    have |= set(_ids(fetched, "SecurityGroups", "GroupId"))
    referenced = (_referenced_groups(asked_groups) | _referenced_groups(vpc_groups) | _referenced_groups(fetched)) - have - security_group_ids - more
    ref_doc = add(*calls.ec2_filtered("describe_security_groups", "SecurityGroups", "group-id", referenced)) if referenced else None
    # prefix lists used by routes and rules, and asked for
    pls = set(prefix_list_ids) | _referenced_prefix_lists([by_file.get("route-tables.json"), asked_groups, vpc_groups, fetched, ref_doc])
    for _, command, doc in _prefix_list_docs(calls, pls):
        add(command, doc)
    services = set(service_names) | {e["ServiceName"] for e in (endpoints or {}).get("VpcEndpoints") or [] if e.get("ServiceName")}
    if services:
        add(*calls.by_ids("ec2", "describe_vpc_endpoint_services", "ServiceDetails", "ServiceNames", services))
    complete: Set[str] = set()
    if export_names:
        add(calls.command("cloudformation", "list_exports"), calls.call("cloudformation", "list_exports"))
        complete.add("exports")
    if stack_names:
        merged: Dict[str, Any] = {"Stacks": []}
        denied = False
        for name in sorted(stack_names):
            before = len(calls.errors)
            doc = calls.call("cloudformation", "describe_stacks", missing_ok=True, StackName=name)
            if doc is None and len(calls.errors) > before:
                denied = True
                break
            merged = _join(merged, doc or {}, "Stacks")
        add(calls.command("cloudformation", "describe_stacks", StackName=sorted(stack_names)), None if denied else merged)
    if ssm_names:
        for _, command, doc in _ssm_docs(calls, ssm_names):
            add(command, doc)
    if log_group_names:
        merged = {"logGroups": []}
        denied = False
        for name in sorted(log_group_names):
            doc = calls.call("logs", "describe_log_groups", logGroupNamePrefix=name)
            if doc is None:
                denied = True
                break
            merged = _join(merged, {"logGroups": [g for g in doc.get("logGroups") or [] if g.get("logGroupName") == name]}, "logGroups")
        add(calls.command("logs", "describe_log_groups", logGroupNamePrefix=sorted(log_group_names)), None if denied else merged)
    if roles:
        add(calls.command("iam", "get_role", RoleName=sorted(roles)), _role_docs(calls, {_role_name(r) for r in roles}))
    documents = [(f"live: {command}", doc) for _, command, doc in docs if doc is not None]
    requested = {
        "subnets": subnet_ids, "security_groups": security_group_ids, "vpcs": vpc_ids, "route_tables": route_table_ids,
        "vpc_endpoints": vpc_endpoint_ids, "network_acls": network_acl_ids, "nat_gateways": nat_gateway_ids,
        "internet_gateways": internet_gateway_ids, "prefix_lists": prefix_list_ids,
        "service_details": service_names, "stacks": stack_names, "ssm_parameters": ssm_names,
        "log_groups": log_group_names, "roles": roles | {_role_name(r) for r in roles},
    }
    meta = {"tool": TOOL, "region": region, "account_id": account, "time": _now(), "filters": {"vpc_ids": vpc_list},
            "errors": calls.errors}
    snap = build_snapshot(documents, source=f"live ({region})", meta=meta, warn=warn, complete=complete,
                          requested={k: v for k, v in requested.items() if v})
    return snap
