"""Ignition spec 3.0.0 Go struct layout (generated from config/v3_0/types/schema.go; do not edit)."""

# type -> fields in Go struct order: (Go name, JSON name or None for an embedded struct, Go type, omitempty)
STRUCTS = {
    'CaReference': (
        ('Source', 'source', 'string', False),
        ('Verification', 'verification', 'Verification', True),
    ),
    'Config': (
        ('Ignition', 'ignition', 'Ignition', False),
        ('Passwd', 'passwd', 'Passwd', True),
        ('Storage', 'storage', 'Storage', True),
        ('Systemd', 'systemd', 'Systemd', True),
    ),
    'ConfigReference': (
        ('Source', 'source', '*string', False),
        ('Verification', 'verification', 'Verification', True),
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
    'FileContents': (
        ('Compression', 'compression', '*string', True),
        ('Source', 'source', '*string', True),
        ('Verification', 'verification', 'Verification', True),
    ),
    'FileEmbedded1': (
        ('Append', 'append', '[]FileContents', True),
        ('Contents', 'contents', 'FileContents', True),
        ('Mode', 'mode', '*int', True),
    ),
    'Filesystem': (
        ('Device', 'device', 'string', False),
        ('Format', 'format', '*string', True),
        ('Label', 'label', '*string', True),
        ('Options', 'options', '[]FilesystemOption', True),
        ('Path', 'path', '*string', True),
        ('UUID', 'uuid', '*string', True),
        ('WipeFilesystem', 'wipeFilesystem', '*bool', True),
    ),
    'Ignition': (
        ('Config', 'config', 'IgnitionConfig', True),
        ('Security', 'security', 'Security', True),
        ('Timeouts', 'timeouts', 'Timeouts', True),
        ('Version', 'version', 'string', True),
    ),
    'IgnitionConfig': (
        ('Merge', 'merge', '[]ConfigReference', True),
        ('Replace', 'replace', 'ConfigReference', True),
    ),
    'Link': (
        ('Node', None, 'Node', False),
        ('LinkEmbedded1', None, 'LinkEmbedded1', False),
    ),
    'LinkEmbedded1': (
        ('Hard', 'hard', '*bool', True),
        ('Target', 'target', 'string', False),
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
        ('System', 'system', '*bool', True),
        ('UID', 'uid', '*int', True),
    ),
    'Raid': (
        ('Devices', 'devices', '[]Device', False),
        ('Level', 'level', 'string', False),
        ('Name', 'name', 'string', False),
        ('Options', 'options', '[]RaidOption', True),
        ('Spares', 'spares', '*int', True),
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
        ('Raid', 'raid', '[]Raid', True),
    ),
    'Systemd': (
        ('Units', 'units', '[]Unit', True),
    ),
    'TLS': (
        ('CertificateAuthorities', 'certificateAuthorities', '[]CaReference', True),
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
    'RaidOption': 'string',
    'SSHAuthorizedKey': 'string',
}
