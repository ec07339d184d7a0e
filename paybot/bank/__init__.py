"""How payment files reach the bank and return files come back: small gateways behind one port.

`paybot.core.bank_gateway.BankGateway` is the port services use; `directory.DirectoryGateway`
(local or mounted folders), `sftp.SftpGateway` (a bank's SFTP server, host key pinned) and
`sandbox.SandboxBank` implement it, on the shared settings, errors and folder conventions of
`gateway`; `factory.make_gateway` builds the one a bank account's settings name.
"""
