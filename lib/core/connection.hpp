// ConnectionInfo and Envelope: what the MTA told us about the SMTP session and
// the current transaction.
//
// Contract: ConnectionInfo is filled by the front end (milter shim or CLI)
// before the matching event (connect, helo, mail) and is read-only for stages.
// Envelope belongs to one transaction (MAIL FROM to end of message). The queue
// id lives in the Envelope, not the connection, because one SMTP connection
// can carry several messages with different queue ids. Plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::core {

struct TlsInfo {
  std::string version;       // {tls_version}, e.g. "TLSv1.3"; empty = no TLS
  std::string cipher;        // {cipher}
  std::string cipher_bits;   // {cipher_bits}
  std::string cert_subject;  // {cert_subject}
  std::string cert_issuer;   // {cert_issuer}
  std::string verify;        // {verify}: "OK" = a client certificate the MTA verified
};

struct ConnectionInfo {
  std::string
      client_address;  // textual IPv4/IPv6 address; empty if unknown (e.g. local submission)
  uint16_t client_port = 0;
  std::string client_name;  // reverse DNS name as the MTA reports it ("unknown" allowed)
  std::string helo;
  TlsInfo tls;
  std::string sasl_user;    // {auth_authen}; non-empty = authenticated client
  std::string sasl_method;  // {auth_type}
  std::string mta_name;     // macro j
  std::string daemon_name;  // {daemon_name}
};

struct Envelope {
  std::string mail_from;                // without angle brackets; "" = null sender
  std::vector<std::string> mail_args;   // ESMTP parameters (SIZE=, BODY=, ...)
  std::vector<std::string> recipients;  // accepted recipients, without angle brackets
  std::string queue_id;                 // macro i; known at end of message under Postfix
};

}  // namespace postern::core
