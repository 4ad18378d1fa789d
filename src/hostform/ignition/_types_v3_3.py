"""Ignition spec 3.3.0 Go struct layout (generated from config/v3_3/types/schema.go; do not edit)."""

# type -> fields in Go struct order: (Go name, JSON name or None for an embedded struct, Go type, omitempty)
STRUCTS = {
    'Clevis': (
        ('Custom', 'custom', 'ClevisCustom', True),
        ('Tang', 'tang', '[]Tang', True),
        ('Threshold', 'threshold', '*int', True),
        ('Tpm2', 'tpm2', '*bool', True),
    ),
    'ClevisCustom': (
        ('Config', 'config', '*string', True),
        ('NeedsNetwork', 'needsNetwork', '*bool', True),
        ('Pin', 'pin', '*string', True),
    ),
    'Config': (
        ('Ignition', 'ignition', 'Ignition', False),
        ('KernelArguments', 'kernelArguments', 'KernelArguments', True),
        ('Passwd', 'passwd', 'Passwd', True),
        ('Storage', 'storage', 'Storage', True),
        ('Systemd', 'systemd', 'Systemd', True),
    ),
    'Directory': (
        ('Node', None, 'Node', False),
        ('DirectoryEmbedded1', None, 'DirectoryEmbedded1', False),
    ),
    'DirectoryEmbedded1': (
        ('Mode', 'mode', '*int', True),
    ),
    'Disk': (
        ('Device', 'device', 'string', False),
        ('Partitions', 'partitions', '[]Partition', True),
        ('WipeTable', 'wipeTable', '*bool', True),
    ),
    'Dropin': (
        ('Contents', 'contents', '*string', True),
        ('Name', 'name', 'string', False),
    ),
    'File': (
        ('Node', None, 'Node', False),
        ('FileEmbedded1', None, 'FileEmbedded1', False),
    ),
    'FileEmbedded1': (
        ('Append', 'append', '[]Resource', True),
        ('Contents', 'contents', 'Resource', True),
        ('Mode', 'mode', '*int', True),
    ),
    'Filesystem': (
        ('Device', 'device', 'string', False),
        ('Format', 'format', '*string', True),
        ('Label', 'label', '*string', True),
        ('MountOptions', 'mountOptions', '[]MountOption', True),
        ('Options', 'options', '[]FilesystemOption', True),
        ('Path', 'path', '*string', True),
        ('UUID', 'uuid', '*string', True),
        ('WipeFilesystem', 'wipeFilesystem', '*bool', True),
    ),
    'HTTPHeader': (
        ('Name', 'name', 'string', False),
        ('Value', 'value', '*string', True),
    ),
    'Ignition': (
        ('Config', 'config', 'IgnitionConfig', True),
        ('Proxy', 'proxy', 'Proxy', True),
        ('Security', 'security', 'Security', True),
        ('Timeouts', 'timeouts', 'Timeouts', True),
        ('Version', 'version', 'string', True),
    ),
    'IgnitionConfig': (
        ('Merge', 'merge', '[]Resource', True),
        ('Replace', 'replace', 'Resource', True),
    ),
    'KernelArguments': (
        ('ShouldExist', 'shouldExist', '[]KernelArgument', True),
        ('ShouldNotExist', 'shouldNotExist', '[]KernelArgument', True),
    ),
    'Link': (
        ('Node', None, 'Node', False),
        ('LinkEmbedded1', None, 'LinkEmbedded1', False),
    ),
    'LinkEmbedded1': (
        ('Hard', 'hard', '*bool', True),
        ('Target', 'target', '*string', True),
    ),
    'Luks': (
        ('Clevis', 'clevis', 'Clevis', True),
        ('Device', 'device', '*string', True),
        ('KeyFile', 'keyFile', 'Resource', True),
        ('Label', 'label', '*string', True),
        ('Name', 'name', 'string', False),
        ('Options', 'options', '[]LuksOption', True),
        ('UUID', 'uuid', '*string', True),
        ('WipeVolume', 'wipeVolume', '*bool', True),
    ),
    'Node': (
        ('Group', 'group', 'NodeGroup', True),
        ('Overwrite', 'overwrite', '*bool', True),
        ('Path', 'path', 'string', False),
        ('User', 'user', 'NodeUser', True),
    ),
    'NodeGroup': (
        ('ID', 'id', '*int', True),
        ('Name', 'name', '*string', True),
    ),
    'NodeUser': (
        ('ID', 'id', '*int', True),
        ('Name', 'name', '*string', True),
    ),
    'Partition': (
        ('GUID', 'guid', '*string', True),
        ('Label', 'label', '*string', True),
        ('Number', 'number', 'int', True),
        ('Resize', 'resize', '*bool', True),
        ('ShouldExist', 'shouldExist', '*bool', True),
        ('SizeMiB', 'sizeMiB', '*int', True),
        ('StartMiB', 'startMiB', '*int', True),
        ('TypeGUID', 'typeGuid', '*string', True),
        ('WipePartitionEntry', 'wipePartitionEntry', '*bool', True),
    ),
    'Passwd': (
        ('Groups', 'groups', '[]PasswdGroup', True),
        ('Users', 'users', '[]PasswdUser', True),
    ),
    'PasswdGroup': (
        ('Gid', 'gid', '*int', True),
        ('Name', 'name', 'string', False),
        ('PasswordHash', 'passwordHash', '*string', True),
        ('ShouldExist', 'shouldExist', '*bool', True),
        ('System', 'system', '*bool', True),
    ),
    'PasswdUser': (
        ('Gecos', 'gecos', '*string', True),
        ('Groups', 'groups', '[]Group', True),
        ('HomeDir', 'homeDir', '*string', True),
        ('Name', 'name', 'string', False),
        ('NoCreateHome', 'noCreateHome', '*bool', True),
        ('NoLogInit', 'noLogInit', '*bool', True),
        ('NoUserGroup', 'noUserGroup', '*bool', True),
        ('PasswordHash', 'passwordHash', '*string', True),
        ('PrimaryGroup', 'primaryGroup', '*string', True),
        ('SSHAuthorizedKeys', 'sshAuthorizedKeys', '[]SSHAuthorizedKey', True),
        ('Shell', 'shell', '*string', True),
        ('ShouldExist', 'shouldExist', '*bool', True),
        ('System', 'system', '*bool', True),
        ('UID', 'uid', '*int', True),
    ),
    'Proxy': (
        ('HTTPProxy', 'httpProxy', '*string', True),
        ('HTTPSProxy', 'httpsProxy', '*string', True),
        ('NoProxy', 'noProxy', '[]NoProxyItem', True),
    ),
    'Raid': (
        ('Devices', 'devices', '[]Device', True),
        ('Level', 'level', '*string', True),
        ('Name', 'name', 'string', False),
        ('Options', 'options', '[]RaidOption', True),
        ('Spares', 'spares', '*int', True),
    ),
    'Resource': (
        ('Compression', 'compression', '*string', True),
        ('HTTPHeaders', 'httpHeaders', 'HTTPHeaders', True),
        ('Source', 'source', '*string', True),
        ('Verification', 'verification', 'Verification', True),
    ),
    'Security': (
        ('TLS', 'tls', 'TLS', True),
    ),
    'Storage': (
        ('Directories', 'directories', '[]Directory', True),
        ('Disks', 'disks', '[]Disk', True),
        ('Files', 'files', '[]File', True),
        ('Filesystems', 'filesystems', '[]Filesystem', True),
        ('Links', 'links', '[]Link', True),
        ('Luks', 'luks', '[]Luks', True),
        ('Raid', 'raid', '[]Raid', True),
    ),
    'Systemd': (
        ('Units', 'units', '[]Unit', True),
    ),
    'TLS': (
        ('CertificateAuthorities', 'certificateAuthorities', '[]Resource', True),
    ),
    'Tang': (
        ('Thumbprint', 'thumbprint', '*string', True),
        ('URL', 'url', 'string', True),
    ),
    'Timeouts': (
        ('HTTPResponseHeaders', 'httpResponseHeaders', '*int', True),
        ('HTTPTotal', 'httpTotal', '*int', True),
    ),
    'Unit': (
        ('Contents', 'contents', '*string', True),
        ('Dropins', 'dropins', '[]Dropin', True),
        ('Enabled', 'enabled', '*bool', True),
        ('Mask', 'mask', '*bool', True),
        ('Name', 'name', 'string', False),
    ),
    'Verification': (
        ('Hash', 'hash', '*string', True),
    ),
}

# named non-struct types: name -> underlying Go type
NAMED = {
    'Device': 'string',
    'FilesystemOption': 'string',
    'Group': 'string',
    'HTTPHeaders': '[]HTTPHeader',
    'KernelArgument': 'string',
    'LuksOption': 'string',
    'MountOption': 'string',
    'NoProxyItem': 'string',
    'RaidOption': 'string',
    'SSHAuthorizedKey': 'string',
}
