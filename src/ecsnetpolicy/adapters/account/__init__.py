"""The AWS account adapter: the facts of an account snapshot (AWS CLI JSON, plain data) added to the
same network state the CloudFormation adapter fills, for the resource IDs a template references.

`Account` wraps one snapshot with the indexes the adapter needs (built once per analysis);
`AccountReader` adds, for one state, a referenced ID and everything the network around it needs
(subnet -> route table -> routes -> NAT / internet gateways; VPC -> endpoints, default group, DNS
attributes, DHCP options; groups -> rules; subnets -> network ACL), each fact with
Origin("account", None, <template path that brought it in>, <ID>, <snapshot file>).  A resource
the snapshot lacks stays an Unknown naming it (and the CLI command that would capture its kind)."""

from .facts import Account, AccountReader, KIND_OF_PREFIX

__all__ = ["Account", "AccountReader", "KIND_OF_PREFIX"]
