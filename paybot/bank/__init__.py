"""How payment files reach the bank and return files come back: small gateways behind one port.

`gateway.BankGateway` is the port services use; `directory.DirectoryGateway` (local or mounted
folders) and `sftp.SftpGateway` (a bank's SFTP server, host key pinned) implement it, and
`gateway.make_gateway` builds the one a bank account's settings name.
"""
