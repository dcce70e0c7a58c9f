// The confirmation of a mail address (OUTBREAK_MAIL_CONFIRM, docs/mail.md).
//
// GET shows a page with a button; only the button's POST confirms. Mail
// scanners and link previews fetch every link in a mail with GET, so a link
// that confirmed by itself would confirm addresses nobody vouched for.
#include <chrono>

#include <fmt/format.h>

#include "http.hpp"
#include "outbreak/mail/message.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

void send_page(Response& response, int status, std::string_view title, std::string_view body) {
  response.status = status;
  response.body = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0} · outbreak</title>\n<link rel=\"stylesheet\" href=\"/assets/style.css\">\n"
      "</head>\n<body>\n<main>\n<h1>{0}</h1>\n{1}</main>\n</body>\n</html>\n",
      mail::html_escape(title), body);
  response.set_header("Content-Type", "text/html; charset=utf-8");
  // The token is a secret: keep the page out of caches.
  response.set_header("Cache-Control", "no-store");
}

void not_found(Response& response) {
  send_page(response, 404, "Unknown link",
            "<p>This confirmation link is not known here. Check that it was copied whole.</p>\n");
}

// The address, with most of its local part hidden: whoever holds the link
// learns only which inbox it is for.
std::string hinted(std::string_view address) {
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return fmt::format("{}***{}", address.front(), address.substr(at));
}

void show(Context& context, const Request& request, Response& response) {
  auto store = borrow_store(context, response);
  if (!store) return;
  auto address = (*store)->mail_address_by_token(request.matches[1].str());
  if (!address) {
    if (address.error().code == ErrorCode::kNotFound) return not_found(response);
    if (address.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, address.error());
  }
  const std::string who = mail::html_escape(hinted(address->address));
  if (address->confirmed_at) {
    return send_page(
        response, 200, "Address confirmed",
        fmt::format("<p>{} is confirmed: mails about simulations go there.</p>\n", who));
  }
  // action="" posts to this same URL.
  send_page(response, 200, "Confirm your address",
            fmt::format("<p>Confirm that this outbreak service may send mails about simulations "
                        "to {}.</p>\n<form method=\"post\" action=\"\">\n"
                        "<button type=\"submit\">Confirm</button>\n</form>\n"
                        "<p>If you did not ask for them, close this page: nothing is sent "
                        "until you confirm.</p>\n",
                        who));
}

void confirm(Context& context, const Request& request, Response& response) {
  auto store = borrow_store(context, response);
  if (!store) return;
  auto address =
      (*store)->confirm_mail_address(request.matches[1].str(), std::chrono::system_clock::now());
  if (!address) {
    if (address.error().code == ErrorCode::kNotFound) return not_found(response);
    if (address.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, address.error());
  }
  // Addresses are not logged in full (docs/api.md, Logs).
  context.log.info("mail_address_confirmed", {{"address", hinted(address->address)}});
  send_page(response, 200, "Address confirmed",
            fmt::format("<p>Thank you. Mails about simulations now go to {}, those that waited "
                        "for this confirmation first.</p>\n",
                        mail::html_escape(hinted(address->address))));
}

}  // namespace

void add_mail_routes(httplib::Server& http, Context& context) {
  // Tokens are 32 hex digits (store::new_secret_token); anything else is no
  // route at all.
  const std::string pattern = "/mail/confirm/([0-9a-f]{32})";
  add_route(
      http, context, "GET", pattern, "/mail/confirm/{token}",
      [&context](const Request& request, Response& response) { show(context, request, response); });
  add_route(http, context, "POST", pattern, "/mail/confirm/{token}",
            [&context](const Request& request, Response& response) {
              confirm(context, request, response);
            });
}

}  // namespace outbreak::serve::detail
