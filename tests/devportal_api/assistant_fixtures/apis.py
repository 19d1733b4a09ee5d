"""Fixture catalog of the marketplace assistant's quality set: realistic APIs of varied domains,
several of them deliberately close to one another (payments, invoices, payroll; weather and air
quality; shipping and fleet tracking), written as ``(name, description, tags, operations)``."""

from __future__ import annotations

Op = tuple[str, str, str]

APIS: list[tuple[str, str, list[str], list[Op]]] = [
    (
        "PaymentsGateway",
        "Accept card and wallet payments, capture and refund charges for online checkouts.",
        ["payments", "cards", "checkout"],
        [
            ("POST", "/charges", "Create a charge on a credit or debit card"),
            ("POST", "/charges/{chargeId}/capture", "Capture an authorised charge"),
            ("POST", "/refunds", "Refund all or part of a charge"),
            ("GET", "/charges/{chargeId}", "Get a charge and its status"),
        ],
    ),
    (
        "InvoicingService",
        "Create, send and track invoices for your customers, with due dates and reminders.",
        ["billing", "invoices", "accounting"],
        [
            ("POST", "/invoices", "Create a draft invoice"),
            ("POST", "/invoices/{invoiceId}/send", "Email an invoice to the customer"),
            ("GET", "/invoices", "List invoices by status, overdue or paid"),
            ("POST", "/invoices/{invoiceId}/reminders", "Schedule a payment reminder"),
        ],
    ),
    (
        "PayrollAPI",
        "Run payroll for employees: salaries, payslips, tax withholding and pay schedules.",
        ["hr", "payroll", "salary"],
        [
            ("POST", "/pay-runs", "Start a pay run for a pay period"),
            ("GET", "/employees/{employeeId}/payslips", "List an employee's payslips"),
            ("GET", "/tax-withholdings", "Tax withheld per employee and period"),
        ],
    ),
    (
        "CurrencyExchange",
        "Live and historical foreign exchange rates and currency conversion.",
        ["finance", "fx", "currency"],
        [
            ("GET", "/rates/latest", "Latest exchange rates for a base currency"),
            ("GET", "/convert", "Convert an amount from one currency to another"),
            ("GET", "/rates/history", "Historical rates between two dates"),
        ],
    ),
    (
        "StockQuotes",
        "Real-time and delayed stock market quotes, intraday charts and company fundamentals.",
        ["finance", "stocks", "markets"],
        [
            ("GET", "/quotes/{symbol}", "Latest quote for a ticker symbol"),
            ("GET", "/quotes/{symbol}/intraday", "Intraday price series"),
            ("GET", "/companies/{symbol}/fundamentals", "Earnings, revenue and ratios of a listed company"),
        ],
    ),
    (
        "CryptoWallet",
        "Custodial wallets for bitcoin and ether: balances, addresses and transfers.",
        ["crypto", "blockchain", "wallet"],
        [
            ("POST", "/wallets", "Open a wallet"),
            ("GET", "/wallets/{walletId}/balance", "Balance of a wallet per coin"),
            ("POST", "/wallets/{walletId}/transfers", "Send coins to an address"),
        ],
    ),
    (
        "BankAccounts",
        "Open banking access to balances and transaction history with the holder's consent.",
        ["banking", "open-banking", "accounts"],
        [
            ("GET", "/accounts", "List the accounts the customer consented to share"),
            ("GET", "/accounts/{accountId}/balances", "Current and available balance"),
            ("GET", "/accounts/{accountId}/transactions", "Booked and pending transactions"),
        ],
    ),
    (
        "LoanOrigination",
        "Apply for personal loans and mortgages, check eligibility, get repayment schedules.",
        ["lending", "loans", "mortgage"],
        [
            ("POST", "/applications", "Submit a loan application"),
            ("GET", "/eligibility", "Check how much a customer could borrow"),
            ("GET", "/loans/{loanId}/schedule", "Repayment schedule of a loan"),
        ],
    ),
    (
        "FraudDetection",
        "Score transactions for fraud risk in real time and report confirmed fraud cases.",
        ["risk", "fraud", "security"],
        [
            ("POST", "/scores", "Risk score of a transaction"),
            ("POST", "/reports", "Report a confirmed fraudulent transaction"),
        ],
    ),
    (
        "TaxCalculator",
        "Sales tax and VAT rates by address and product category, and tax for an order total.",
        ["tax", "vat", "ecommerce"],
        [
            ("GET", "/rates", "Tax rate for an address"),
            ("POST", "/calculations", "Compute the tax of an order's line items"),
        ],
    ),
    (
        "WeatherForecast",
        "Hourly and daily weather forecasts, current conditions and severe weather alerts.",
        ["weather", "forecast", "climate"],
        [
            ("GET", "/current", "Current temperature, wind and humidity at a location"),
            ("GET", "/forecast/daily", "Daily forecast for the next 14 days"),
            ("GET", "/alerts", "Active severe weather warnings for a region"),
        ],
    ),
    (
        "AirQualityIndex",
        "Air pollution measurements: PM2.5, ozone and the air quality index of a city.",
        ["environment", "pollution", "health"],
        [
            ("GET", "/aqi", "Air quality index at a location"),
            ("GET", "/stations", "Monitoring stations near a point"),
        ],
    ),
    (
        "SolarPower",
        "Estimate solar panel output and irradiance for a roof from its location and tilt.",
        ["energy", "solar", "renewables"],
        [
            ("GET", "/irradiance", "Solar irradiance at a location"),
            ("POST", "/estimates", "Estimate yearly production of a panel array"),
        ],
    ),
    (
        "EarthquakeFeed",
        "Recent earthquakes worldwide with magnitude, depth and location.",
        ["geology", "disasters", "seismic"],
        [
            ("GET", "/events", "Earthquakes above a magnitude in a time window"),
            ("GET", "/events/{eventId}", "Details of one earthquake"),
        ],
    ),
    (
        "ParcelShipping",
        "Compare carrier rates, buy shipping labels and schedule parcel pickups.",
        ["shipping", "logistics", "labels"],
        [
            ("POST", "/rates", "Quote shipping rates across carriers for a parcel"),
            ("POST", "/labels", "Buy and print a shipping label"),
            ("POST", "/pickups", "Schedule a courier pickup"),
        ],
    ),
    (
        "PackageTracking",
        "Track parcels across carriers with delivery status and estimated arrival.",
        ["shipping", "tracking", "delivery"],
        [
            ("GET", "/trackers/{trackingNumber}", "Delivery status and events of a parcel"),
            ("POST", "/webhooks", "Get notified when a parcel status changes"),
        ],
    ),
    (
        "FleetTelematics",
        "Live GPS positions, fuel use and driver behaviour of trucks in a fleet.",
        ["fleet", "gps", "vehicles"],
        [
            ("GET", "/vehicles/{vehicleId}/location", "Current GPS position of a vehicle"),
            ("GET", "/vehicles/{vehicleId}/fuel", "Fuel consumption of a vehicle"),
            ("GET", "/drivers/{driverId}/safety", "Harsh braking and speeding events of a driver"),
        ],
    ),
    (
        "FreightQuotes",
        "Quotes and bookings for truckload, part-load and ocean container freight.",
        ["freight", "logistics", "trucking"],
        [
            ("POST", "/quotes", "Quote a freight shipment between two locations"),
            ("POST", "/bookings", "Book a freight shipment"),
        ],
    ),
    (
        "WarehouseInventory",
        "Stock levels, bin locations and stock movements across warehouses.",
        ["inventory", "warehouse", "supply-chain"],
        [
            ("GET", "/items/{sku}/stock", "Stock on hand of a product per warehouse"),
            ("POST", "/movements", "Record goods received or shipped"),
            ("GET", "/reorder-suggestions", "Products below their reorder point"),
        ],
    ),
    (
        "CustomsDeclarations",
        "Tariff codes, duties and customs declarations for international shipments.",
        ["customs", "trade", "import"],
        [
            ("GET", "/hs-codes", "Find the tariff code of a product"),
            ("POST", "/duties", "Estimate import duty and taxes"),
            ("POST", "/declarations", "File a customs declaration"),
        ],
    ),
    (
        "EmployeeDirectory",
        "Employee profiles, departments, managers and the organisation chart.",
        ["hr", "people", "directory"],
        [
            ("GET", "/employees", "Search employees by name or department"),
            ("GET", "/employees/{employeeId}/manager", "An employee's manager"),
            ("GET", "/org-chart", "The reporting tree of a department"),
        ],
    ),
    (
        "LeaveManagement",
        "Request time off, approve leave and see vacation balances of employees.",
        ["hr", "leave", "absence"],
        [
            ("POST", "/requests", "Request vacation or sick leave"),
            ("POST", "/requests/{requestId}/approve", "Approve a leave request"),
            ("GET", "/balances/{employeeId}", "Remaining holiday days of an employee"),
        ],
    ),
    (
        "RecruitingATS",
        "Applicant tracking: job postings, candidates, interview scheduling and offers.",
        ["hr", "recruiting", "hiring"],
        [
            ("POST", "/jobs", "Post a job opening"),
            ("GET", "/jobs/{jobId}/candidates", "Candidates who applied to a job"),
            ("POST", "/interviews", "Schedule an interview with a candidate"),
        ],
    ),
    (
        "TimesheetTracker",
        "Log hours worked on projects and clients, and export timesheets for approval.",
        ["hr", "time-tracking", "projects"],
        [
            ("POST", "/entries", "Log hours against a project"),
            ("GET", "/timesheets/{week}", "Timesheet of a week"),
        ],
    ),
    (
        "BenefitsEnrollment",
        "Enroll employees in health insurance, pension and other benefit plans.",
        ["hr", "benefits", "insurance"],
        [
            ("GET", "/plans", "Available benefit plans"),
            ("POST", "/enrollments", "Enroll an employee in a plan"),
        ],
    ),
    (
        "PatientRecords",
        "FHIR access to patient demographics, conditions, allergies and lab results.",
        ["healthcare", "fhir", "ehr"],
        [
            ("GET", "/Patient/{id}", "Read a patient record"),
            ("GET", "/Observation", "Lab results and vital signs of a patient"),
            ("GET", "/AllergyIntolerance", "Known allergies of a patient"),
        ],
    ),
    (
        "AppointmentBooking",
        "Find open slots; book, reschedule or cancel appointments with doctors.",
        ["healthcare", "scheduling", "appointments"],
        [
            ("GET", "/slots", "Free appointment slots of a practitioner"),
            ("POST", "/appointments", "Book an appointment"),
            ("DELETE", "/appointments/{appointmentId}", "Cancel an appointment"),
        ],
    ),
    (
        "PharmacyRx",
        "Electronic prescriptions, refills and drug interaction checks for pharmacies.",
        ["healthcare", "pharmacy", "drugs"],
        [
            ("POST", "/prescriptions", "Send an e-prescription to a pharmacy"),
            ("POST", "/refills", "Request a prescription refill"),
            ("POST", "/interactions", "Check interactions between medicines"),
        ],
    ),
    (
        "FitnessTracker",
        "Steps, heart rate, sleep and workouts synced from wearables.",
        ["fitness", "wearables", "health"],
        [
            ("GET", "/activity/daily", "Steps and calories of a day"),
            ("GET", "/sleep", "Sleep stages of a night"),
            ("GET", "/heart-rate", "Heart rate samples"),
        ],
    ),
    (
        "NutritionFacts",
        "Calories, macronutrients and vitamins of foods and recipes from a food database.",
        ["food", "nutrition", "health"],
        [
            ("GET", "/foods", "Search foods and their nutrients"),
            ("POST", "/recipes/analysis", "Nutrition facts of a recipe"),
        ],
    ),
    (
        "PizzaShackAPI",
        "Order pizza online for delivery and see the menu of the Pizza Shack.",
        ["food", "pizza", "delivery"],
        [
            ("GET", "/menu", "List the pizzas on the menu"),
            ("POST", "/order", "Place a pizza order"),
            ("GET", "/order/{orderId}", "Get the details of an order"),
            ("DELETE", "/order/{orderId}", "Cancel an order"),
        ],
    ),
    (
        "RestaurantReservations",
        "Search restaurants and reserve tables for a date, time and party size.",
        ["food", "restaurants", "booking"],
        [
            ("GET", "/restaurants", "Restaurants near a place with open tables"),
            ("POST", "/reservations", "Reserve a table"),
        ],
    ),
    (
        "GroceryDelivery",
        "Browse supermarket products and schedule same-day grocery deliveries.",
        ["retail", "groceries", "delivery"],
        [
            ("GET", "/products", "Search supermarket products"),
            ("POST", "/carts/{cartId}/checkout", "Check out a cart for a delivery slot"),
            ("GET", "/delivery-slots", "Available delivery windows"),
        ],
    ),
    (
        "RecipeFinder",
        "Find cooking recipes by ingredients, cuisine or diet, with step-by-step instructions.",
        ["food", "recipes", "cooking"],
        [
            ("GET", "/recipes", "Recipes that use the given ingredients"),
            ("GET", "/recipes/{recipeId}", "Ingredients and steps of a recipe"),
        ],
    ),
    (
        "FlightSearch",
        "Search flights, compare fares and get seat availability between airports.",
        ["travel", "flights", "airlines"],
        [
            ("GET", "/offers", "Flight offers between two airports on a date"),
            ("GET", "/seatmaps", "Seat map of a flight"),
        ],
    ),
    (
        "FlightStatus",
        "Real-time departure and arrival status, delays and gates of flights.",
        ["travel", "flights", "airports"],
        [
            ("GET", "/flights/{flightNumber}", "Status, delay and gate of a flight"),
            ("GET", "/airports/{iata}/departures", "Departures board of an airport"),
        ],
    ),
    (
        "HotelBooking",
        "Search hotels, check room availability and book stays.",
        ["travel", "hotels", "accommodation"],
        [
            ("GET", "/hotels", "Hotels in a city with rooms free on given dates"),
            ("POST", "/bookings", "Book a hotel room"),
        ],
    ),
    (
        "CarRental",
        "Rent a car: pickup locations, vehicle classes, prices and reservations.",
        ["travel", "car-rental", "mobility"],
        [
            ("GET", "/vehicles", "Rental cars available at a pickup location"),
            ("POST", "/reservations", "Reserve a rental car"),
        ],
    ),
    (
        "TransitRoutes",
        "Public transport journey planning with bus, train and metro timetables.",
        ["transit", "mobility", "maps"],
        [
            ("GET", "/journeys", "Plan a trip by public transport between two stops"),
            ("GET", "/stops/{stopId}/departures", "Next departures at a stop"),
        ],
    ),
    (
        "GeocodingMaps",
        "Turn addresses into coordinates and back, and compute driving directions.",
        ["maps", "geocoding", "location"],
        [
            ("GET", "/geocode", "Coordinates of an address"),
            ("GET", "/reverse", "Address at given coordinates"),
            ("GET", "/directions", "Driving route and travel time between two points"),
        ],
    ),
    (
        "SmsMessaging",
        "Send and receive SMS text messages and check delivery receipts worldwide.",
        ["messaging", "sms", "communication"],
        [
            ("POST", "/messages", "Send an SMS to a phone number"),
            ("GET", "/messages/{messageId}", "Delivery status of a message"),
        ],
    ),
    (
        "EmailDelivery",
        "Transactional email sending with templates, bounces and open tracking.",
        ["email", "messaging", "marketing"],
        [
            ("POST", "/mail/send", "Send an email from a template"),
            ("GET", "/bounces", "Addresses that bounced"),
        ],
    ),
    (
        "PushNotifications",
        "Push notifications to iOS and Android apps and web browsers.",
        ["mobile", "notifications", "messaging"],
        [
            ("POST", "/notifications", "Push a notification to devices or a topic"),
            ("POST", "/devices", "Register a device token"),
        ],
    ),
    (
        "VideoConferencing",
        "Create video meetings, invite participants and fetch recordings.",
        ["video", "meetings", "collaboration"],
        [
            ("POST", "/meetings", "Schedule a video meeting"),
            ("GET", "/meetings/{meetingId}/recordings", "Recordings of a meeting"),
        ],
    ),
    (
        "SpeechToText",
        "Transcribe audio recordings and live speech into text in many languages.",
        ["ai", "speech", "transcription"],
        [
            ("POST", "/transcriptions", "Transcribe an audio file"),
            ("GET", "/transcriptions/{jobId}", "Result of a transcription job"),
        ],
    ),
    (
        "TextTranslation",
        "Translate text and documents between 100 languages and detect the language.",
        ["ai", "translation", "language"],
        [
            ("POST", "/translate", "Translate text into a target language"),
            ("POST", "/detect", "Detect the language of a text"),
        ],
    ),
    (
        "SentimentAnalysis",
        "Detect sentiment, emotions and key phrases in customer reviews and social posts.",
        ["ai", "nlp", "text-analytics"],
        [
            ("POST", "/sentiment", "Positive, negative or neutral score of a text"),
            ("POST", "/key-phrases", "Key phrases of a text"),
        ],
    ),
    (
        "ImageRecognition",
        "Label objects, faces and text in images and moderate unsafe pictures.",
        ["ai", "vision", "images"],
        [
            ("POST", "/labels", "Objects and scenes in an image"),
            ("POST", "/ocr", "Read printed text from an image"),
            ("POST", "/moderation", "Flag unsafe images"),
        ],
    ),
    (
        "DocumentSigning",
        "Send contracts for electronic signature and track who signed.",
        ["legal", "e-signature", "documents"],
        [
            ("POST", "/envelopes", "Send a document for signature"),
            ("GET", "/envelopes/{envelopeId}/status", "Signing status of a document"),
        ],
    ),
    (
        "IdentityVerification",
        "Verify identity documents and selfies to onboard customers (KYC).",
        ["kyc", "identity", "compliance"],
        [
            ("POST", "/verifications", "Verify a passport or ID card with a selfie"),
            ("GET", "/verifications/{verificationId}", "Outcome of a verification"),
        ],
    ),
    (
        "CustomerCRM",
        "Contacts, companies, deals and sales pipelines of a CRM.",
        ["crm", "sales", "customers"],
        [
            ("POST", "/contacts", "Create a contact"),
            ("GET", "/deals", "Deals by pipeline stage"),
            ("PATCH", "/deals/{dealId}", "Move a deal to another stage"),
        ],
    ),
    (
        "HelpdeskTickets",
        "Customer support tickets: create, assign, comment and close.",
        ["support", "helpdesk", "tickets"],
        [
            ("POST", "/tickets", "Open a support ticket"),
            ("POST", "/tickets/{ticketId}/comments", "Reply to a ticket"),
            ("PUT", "/tickets/{ticketId}/status", "Close or reopen a ticket"),
        ],
    ),
    (
        "LoyaltyRewards",
        "Loyalty programme points: earn on purchases, redeem rewards and see member tiers.",
        ["retail", "loyalty", "customers"],
        [
            ("POST", "/members/{memberId}/points", "Award points for a purchase"),
            ("POST", "/redemptions", "Redeem points for a reward"),
            ("GET", "/members/{memberId}", "Points balance and tier of a member"),
        ],
    ),
    (
        "ProductCatalog",
        "Product information: titles, prices, variants and images for an online store.",
        ["ecommerce", "products", "catalog"],
        [
            ("GET", "/products", "Search products"),
            ("PUT", "/products/{productId}/price", "Change the price of a product"),
        ],
    ),
    (
        "ProductReviews",
        "Collect and display star ratings and written reviews of products.",
        ["ecommerce", "reviews", "ratings"],
        [
            ("POST", "/reviews", "Submit a review of a product"),
            ("GET", "/products/{productId}/reviews", "Reviews of a product"),
        ],
    ),
    (
        "SmartHome",
        "Control lights, thermostats and locks of a connected home.",
        ["iot", "home-automation", "devices"],
        [
            ("PUT", "/devices/{deviceId}/state", "Switch a light or set a thermostat"),
            ("GET", "/devices", "Devices of a home and their state"),
        ],
    ),
    (
        "EnergyMetering",
        "Electricity and gas smart-meter readings and consumption by half hour.",
        ["energy", "utilities", "metering"],
        [
            ("GET", "/meters/{meterId}/consumption", "Consumption per interval of a meter"),
            ("GET", "/tariffs", "Unit rates and standing charges"),
        ],
    ),
    (
        "EvCharging",
        "Find electric vehicle charging stations, their connectors and live availability.",
        ["mobility", "electric-vehicles", "charging"],
        [
            ("GET", "/stations", "Charging stations near a location"),
            ("POST", "/sessions", "Start a charging session"),
        ],
    ),
    (
        "ParkingFinder",
        "Find and pay for parking spaces in garages and on the street.",
        ["mobility", "parking", "cities"],
        [
            ("GET", "/spaces", "Free parking spaces near a destination"),
            ("POST", "/sessions", "Pay for a parking session"),
        ],
    ),
    (
        "NewsHeadlines",
        "Breaking news headlines and articles from thousands of sources by topic and country.",
        ["news", "media", "content"],
        [
            ("GET", "/top-headlines", "Top headlines by country and category"),
            ("GET", "/everything", "Search articles by keyword"),
        ],
    ),
    (
        "MusicStreaming",
        "Search songs, albums and artists and build playlists.",
        ["music", "media", "entertainment"],
        [
            ("GET", "/search", "Search tracks, albums and artists"),
            ("POST", "/playlists", "Create a playlist"),
        ],
    ),
    (
        "MovieDatabase",
        "Movies and TV shows: cast, ratings, trailers and where to watch them.",
        ["movies", "entertainment", "media"],
        [
            ("GET", "/movies/{movieId}", "Details and cast of a movie"),
            ("GET", "/trending", "Trending movies and shows this week"),
        ],
    ),
    (
        "SportsScores",
        "Live scores, fixtures and league tables for football, basketball and tennis.",
        ["sports", "scores", "live"],
        [("GET", "/fixtures", "Matches of a league on a date"), ("GET", "/standings", "League table")],
    ),
    (
        "EventTicketing",
        "Sell tickets for concerts and conferences, with seating and check-in.",
        ["events", "tickets", "entertainment"],
        [
            ("POST", "/events", "Create an event"),
            ("POST", "/orders", "Buy tickets for an event"),
            ("POST", "/check-ins", "Check in an attendee at the door"),
        ],
    ),
    (
        "CloudStorage",
        "Store and share files in buckets with signed download links.",
        ["storage", "files", "cloud"],
        [
            ("PUT", "/buckets/{bucket}/objects/{key}", "Upload a file"),
            ("GET", "/buckets/{bucket}/objects/{key}/url", "Signed download link of a file"),
        ],
    ),
    (
        "UrlShortener",
        "Shorten long links and count clicks per short link.",
        ["links", "marketing", "analytics"],
        [
            ("POST", "/links", "Shorten a URL"),
            ("GET", "/links/{code}/clicks", "Click statistics of a short link"),
        ],
    ),
    (
        "CertificateMonitor",
        "Watch TLS certificates of your domains and warn before they expire.",
        ["security", "tls", "monitoring"],
        [
            ("POST", "/domains", "Watch a domain's certificate"),
            ("GET", "/expiring", "Certificates expiring soon"),
        ],
    ),
    (
        "UptimeMonitor",
        "Check websites and APIs from many regions and alert when they go down.",
        ["monitoring", "uptime", "devops"],
        [
            ("POST", "/checks", "Create an HTTP uptime check"),
            ("GET", "/checks/{checkId}/incidents", "Downtime incidents of a check"),
        ],
    ),
    (
        "CompanyRegistry",
        "Official company records: registration numbers, directors and filings.",
        ["business", "registry", "compliance"],
        [
            ("GET", "/companies", "Search companies by name or number"),
            ("GET", "/companies/{number}/officers", "Directors of a company"),
        ],
    ),
    (
        "UniversityCourses",
        "Course catalogue, enrolments and grades of a university.",
        ["education", "courses", "students"],
        [
            ("GET", "/courses", "Courses offered in a term"),
            ("POST", "/enrolments", "Enrol a student in a course"),
            ("GET", "/students/{studentId}/grades", "Grades of a student"),
        ],
    ),
    (
        "InsuranceClaims",
        "File and follow insurance claims for car, home and travel policies.",
        ["insurance", "claims", "policies"],
        [
            ("POST", "/claims", "File a claim on a policy"),
            ("GET", "/claims/{claimId}", "Status of a claim"),
            ("GET", "/policies/{policyId}", "Coverage of a policy"),
        ],
    ),
    (
        "RealEstateListings",
        "Homes for sale and rent with prices, photos and neighbourhood data.",
        ["real-estate", "property", "housing"],
        [
            ("GET", "/listings", "Homes for sale or rent in an area"),
            ("GET", "/valuations", "Estimated market value of a property"),
        ],
    ),
]

# What a user would ask, phrased by what they want to do, and the API that answers it.
QUESTIONS: list[tuple[str, str]] = [
    ("How can I charge a customer's credit card when they check out?", "PaymentsGateway"),
    ("I need to bill my clients and remind them when they haven't paid", "InvoicingService"),
    ("Pay salaries to staff every month and produce payslips", "PayrollAPI"),
    ("convert 100 dollars to euros", "CurrencyExchange"),
    ("what is the share price of a company right now", "StockQuotes"),
    ("Will it rain in Lisbon this weekend?", "WeatherForecast"),
    ("how polluted is the air in Delhi today", "AirQualityIndex"),
    ("Where is my parcel? I have a tracking number", "PackageTracking"),
    ("print a label so the courier can collect my package", "ParcelShipping"),
    ("see where our delivery trucks are on a map", "FleetTelematics"),
    ("how many units of a product do we have in stock", "WarehouseInventory"),
    ("what import duty will I pay on goods from China", "CustomsDeclarations"),
    ("who is the manager of an employee", "EmployeeDirectory"),
    ("book holidays and see how many vacation days I have left", "LeaveManagement"),
    ("publish a job opening and schedule interviews with applicants", "RecruitingATS"),
    ("get a patient's lab results and allergies", "PatientRecords"),
    ("book a visit with a doctor", "AppointmentBooking"),
    ("check whether two medicines interact", "PharmacyRx"),
    ("how many calories are in a banana", "NutritionFacts"),
    ("reserve a table for four at a restaurant tonight", "RestaurantReservations"),
    ("find a cheap flight from London to New York", "FlightSearch"),
    ("is my flight delayed?", "FlightStatus"),
    ("public transport directions from the station to the museum by bus or metro", "TransitRoutes"),
    ("get latitude and longitude for a street address", "GeocodingMaps"),
    ("send a text message to a mobile phone", "SmsMessaging"),
    ("turn a voice recording into written text", "SpeechToText"),
    ("translate a paragraph from English to Japanese", "TextTranslation"),
    ("are the reviews of my app positive or negative", "SentimentAnalysis"),
    ("extract printed text from a scanned photo", "ImageRecognition"),
    ("get a contract signed electronically", "DocumentSigning"),
    ("check that a new customer's passport is genuine", "IdentityVerification"),
    ("customers should earn points when they buy and swap them for rewards", "LoyaltyRewards"),
    ("turn off the lights in the living room remotely", "SmartHome"),
    ("where can I charge my electric car nearby", "EvCharging"),
    ("latest football results and league table", "SportsScores"),
    ("alert me when my website goes down", "UptimeMonitor"),
    ("warn me before my SSL certificate expires", "CertificateMonitor"),
    ("order a pepperoni pizza to my house", "PizzaShackAPI"),
    ("who are the directors of a registered company", "CompanyRegistry"),
    ("file a claim after my car was damaged", "InsuranceClaims"),
]

# The same needs said the way people say them: other words than the APIs' own, indirect wording.
# Measured by benchmarks/eval_chat.py beside QUESTIONS.
PARAPHRASES: list[tuple[str, str]] = [
    ("take money from a shopper's card at the till", "PaymentsGateway"),
    ("chase customers who are late paying what they owe", "InvoicingService"),
    ("run the monthly wages for our workers", "PayrollAPI"),
    ("how many yen is fifty pounds", "CurrencyExchange"),
    ("do I need an umbrella tomorrow in Oslo", "WeatherForecast"),
    ("my package hasn't arrived, where is it now", "PackageTracking"),
    ("which team member reports to whom", "EmployeeDirectory"),
    ("request days off from work", "LeaveManagement"),
    ("make an appointment with a GP", "AppointmentBooking"),
    ("is it safe to take ibuprofen with my blood pressure pills", "PharmacyRx"),
    ("text a customer their verification code", "SmsMessaging"),
    ("write down what was said in a meeting recording", "SpeechToText"),
    ("put this sentence into German", "TextTranslation"),
    ("tell me when our site stops responding", "UptimeMonitor"),
    ("get dinner delivered, something Italian with salami", "PizzaShackAPI"),
    ("my car got hit and I want the insurer to pay for it", "InsuranceClaims"),
]
