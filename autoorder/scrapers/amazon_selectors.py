"""Amazon's selectors, by page, one per line, each an ordered list of fallbacks (newest markup
first); a user overrides any of them per supplier (scrapers.selectors). Where each comes from:

  [real]  checked against a real saved amazon.com page — the golden tests in
          tests/scrapers/fixtures/amazon/ prove it (sign-in states, order history, order details);
  [code]  from public code and docs only (no real saved copy of the product, cart, checkout,
          thank-you or ship-track pages exists): the replica in sandbox/amazon follows them.
"""

SELECTORS = {
    "signin": {  # [real] every one checked on tests/scrapers/fixtures/amazon/auth/
        "auth_bot_check": ["script[src*='awswaf']", "#challenge-container"],
        "auth_captcha": [
            "form.cvf-widget-form-captcha",
            "form[action$='validateCaptcha']",
            "input#captchacharacters",
        ],
        "auth_email_code": ["form#verification-code-form"],
        "auth_wrong_code": ["body:has(form#auth-mfa-form):has(#auth-error-message-box)"],
        "auth_code_entry": ["form#auth-mfa-form"],
        "auth_otp_limit": ["body:has(form#auth-select-device-form):has(#auth-error-message-box)"],
        "auth_device_choice": ["form#auth-select-device-form"],
        "auth_intent": ["form#intent-confirmation-form"],
        "auth_login_error": ["body:has(form[name='signIn']):has(#auth-error-message-box)"],
        "auth_password": ["form[name='signIn'] input#ap_password"],
        "auth_email": ["form[name='signIn'] input#ap_email", "input#ap_email_login"],
        "signed_in": [".js-yo-container", "#orderDetails"],
        "auth_mobile_home": ["html.a-tablet"],
        "auth_signed_out": ["#nav-link-accountList"],
        "auth_error": ["#auth-error-message-box .a-alert-content", "div.cvf-widget-alert"],
        "login_email": ["input#ap_email", "input#ap_email_login"],
        "login_continue": ["input#continue", "form[name='signIn'] input[type='submit']"],
        "login_password": ["input#ap_password"],
        "login_submit": ["input#signInSubmit", "form[name='signIn'] input[type='submit']"],
        "intent_continue": ["form#intent-confirmation-form [type='submit']"],
        "otp_code": ["input#auth-mfa-otpcode", "input[name='otpCode']"],
        "otp_remember": ["input#auth-mfa-remember-device"],
        "otp_submit": ["input#auth-signin-button", "form#auth-mfa-form [type='submit']"],
        "otp_device_totp": ["input[name='otpDeviceContext'][value$='TOTP']"],  # [code]
        "otp_device_send": ["input#auth-send-code"],
        "email_code_input": ["form#verification-code-form input#input-box-otp"],
        "email_code_submit": ["form#verification-code-form [type='submit']"],
        "cart_count": ["#nav-cart-count"],
    },
    "product": {  # [code] the product page's buy box (public Playwright scripts, docs)
        "product_title": ["#productTitle"],
        "product_asin": ["input#ASIN", "input[name='ASIN']"],
        "availability": ["#availability"],
        "quantity": ["select#quantity"],
        "add_to_cart": ["input#add-to-cart-button"],
        "addon_decline": [
            "input[aria-labelledby='attachSiNoCoverage-announce']",
            "#attachSiNoCoverage input",
        ],
        "added": ["#NATC_SMART_WAGON_CONF_MSG_SUCCESS", "#sw-atc-details-single-container"],
        "product_error": ["#buybox-error .a-alert-content"],
    },
    "cart": {  # [code]
        "cart_item": ["#sc-active-cart div.sc-list-item[data-asin]"],
        "cart_delete": ["input[data-action='delete']", "input[name^='submit.delete']"],
        "cart_empty": ["#sc-active-cart .sc-your-amazon-cart-is-empty"],
        "proceed": ["input[name='proceedToRetailCheckout']"],
    },
    "address": {  # [code] Amazon's address-ui-widgets form and its suggestion dialog
        "address_form": [
            "form#address-ui-widgets-form",
            "#address-ui-widgets-enterAddressFullName",
        ],
        "address_name": ["#address-ui-widgets-enterAddressFullName"],
        "address_line1": ["#address-ui-widgets-enterAddressLine1"],
        "address_line2": ["#address-ui-widgets-enterAddressLine2"],
        "address_city": ["#address-ui-widgets-enterAddressCity"],
        "address_state": ["#address-ui-widgets-enterAddressStateOrRegion"],
        "address_postal_code": ["#address-ui-widgets-enterAddressPostalCode"],
        "address_phone": ["#address-ui-widgets-enterAddressPhoneNumber"],
        "address_country": ["select#address-ui-widgets-countryCode"],
        "address_submit": [
            "input[aria-labelledby='address-ui-widgets-form-submit-button-announce']"
        ],
        "address_error": ["#address-ui-widgets-form .a-alert-error"],
        "suggestion": ["#address-ui-widgets-original-address-block_id"],
        "suggestion_original": [
            "#address-ui-widgets-original-address-block_id input[type='radio']"
        ],
        "suggestion_submit": ["input[name='address-ui-widgets-saveOriginalOrSuggestedAddress']"],
    },
    "payment": {  # [code] the pmts payment widget
        "payment_form": ["form#pp-payment-select", "[data-pmts-component-id] form"],
        "payment_error": ["#pp-payment-select .a-alert-error"],
        "card_row": ["input[name='ppw-instrumentRowSelection']"],
        "gc_balance": ["#pp-gc-balance[data-amount]"],
        "gc_use": ["input[name='ppw-gcBalanceCheckbox']"],
        "card_holder": ["input[name='ppw-accountHolderName']"],
        "card_number": ["input[name='addCreditCardNumber']"],
        "card_month": ["select[name='ppw-expirationDate_month']"],
        "card_year": ["select[name='ppw-expirationDate_year']"],
        "card_cvc": ["input[name='addCreditCardVerificationNumber']"],
        "payment_continue": ["input[name='ppw-widgetEvent:SetPaymentPlanSelectContinueEvent']"],
    },
    "review": {  # [code] the "spc" review page
        "place_order": ["input[name='placeYourOrder1']", "#placeYourOrder input"],
        "review_item": ["#spc-orders [data-asin]"],
        "review_quantity": [".quantity[data-quantity]"],
        "review_row": ["#subtotals-marketplace-table tr"],
        "review_error": ["#spc-error .a-alert-error", "#spc-orders .a-alert-error"],
        "gift_option": ["input[name='isGift']"],
        "gift_receipt": ["input[name='includeGiftReceipt']"],
    },
    "thank_you": {  # [code]
        "placed": ["#widget-purchaseConfirmationDetails"],
        "placed_number": ["#widget-purchaseConfirmationDetails bdi[dir='ltr']"],
    },
    "order_history": {  # [real] order-history pages of several years and layouts
        "order_history": [".js-yo-container"],
        "order_card": ["div.order-card", "div.order"],
        "history_header": ["div.order-header", ".order-info"],
        "history_number": [".yohtmlc-order-id span[dir='ltr']", ".yohtmlc-order-id"],
        "history_total": ["div.order-header div.a-span2", "div.yohtmlc-order-total span.value"],
        "history_ship_to": ["script[id^='shipToData']"],
        "history_shipment": ["div.delivery-box", "div.shipment"],
        "history_status": [
            ".yohtmlc-shipment-status-primaryText",
            "div.js-shipment-info-container div.a-row",
        ],
        "history_items": ["a[href*='/dp/']", "a[href*='/gp/product/']"],
    },
    "order_details": {  # [real] order-details pages (shipments, totals, "Track package")
        "order_details": ["div#orderDetails"],
        "order_number": [
            "[data-component='orderId']",
            ".order-date-invoice-item bdi[dir='ltr']",
            ".yohtmlc-order-id span[dir='ltr']",
            ".yohtmlc-order-id",
            ".order-date-invoice-item",
        ],
        "order_date": ["[data-component='orderDate']", ".order-date-invoice-item"],
        "order_subtotal_row": [
            "[data-component='orderSubtotals'] div.a-row",
            "div#od-subtotals div.a-row",
        ],
        "order_cancelled": [
            "h4.a-alert-heading",
            "div.yohtmlc-shipment-status-primaryText",
            "[data-component='cancelled'] .a-alert-heading",
        ],
        "order_address": ["[data-component='shippingAddress']", "div.displayAddressDiv"],
        "order_address_name": ["li.displayAddressFullName"],
        "order_address_postal": ["li.displayAddressCityStateOrRegionPostalCode"],
        "order_item": [
            "[data-component='purchasedItems'] .a-fixed-left-grid",
            "div:has(> div.yohtmlc-item)",
        ],
        "order_item_quantity": [
            ".od-item-view-qty",
            "span.item-view-qty",
            "span.product-image__qty",
        ],
        "shipment": [
            "[data-component='shipments'] .a-box",
            "div.shipment",
            "div.delivery-box",
        ],
        "shipment_status": [
            "[data-component='shipmentStatus']",
            ".od-status-message",
            "div.js-shipment-info-container div.a-row",
            ".yohtmlc-shipment-status-primaryText",
            "span.delivery-box__primary-text",
        ],
        "shipment_track_link": ["a[href*='ship-track']", "span.track-package-button a"],
    },
    "ship_track": {  # [code] the tracking page ("Shipped with UPS", "Tracking ID: 1Z…")
        "track_carrier_info": [
            "#carrierRelatedInfo-container",
            ".carrierRelatedInfo-mfn-container",
        ],
        "track_status": ["#primaryStatus", ".pt-status-main-status"],
    },
}
